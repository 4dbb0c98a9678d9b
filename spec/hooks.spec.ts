import { HookedModule } from '../lib/hooks';

class Doubler extends HookedModule<[number], number> {
  forward(x: number): number {
    return 2 * x;
  }
}

describe('HookedModule', () => {
  it('runs pre-hooks, forward and hooks in order, letting each replace its value', () => {
    const module = new Doubler();
    const calls: string[] = [];
    module.registerForwardPreHook((m, [x]) => {
      calls.push(`pre ${x}`);
      expect(m).toBe(module);
      return [x + 1];
    });
    module.registerForwardHook((_m, [x], out) => {
      calls.push(`post ${x} ${out}`);
      return out * 10;
    });
    expect(module.apply(3)).toBe(80);
    expect(calls).toEqual(['pre 3', 'post 4 8']);
  });

  it('stops calling a removed hook, and removing twice is harmless', () => {
    const module = new Doubler();
    let count = 0;
    const handle = module.registerForwardHook(() => void count++);
    module.apply(1);
    handle.remove();
    handle.remove();
    module.apply(1);
    expect(count).toBe(1);
    expect(module.toString()).toBe('Doubler');
  });
});
