// node16, ES module: the `import` types of the exports map.
import { useFastestBackend } from 'tfjs-jd';
const picked = await useFastestBackend();
export const name: string = picked;
