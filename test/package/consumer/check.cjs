// CommonJS consumer: require('tfjs-jd') next to the consumer's own tfjs.
const tf = require('@tensorflow/tfjs');
const jd = require('tfjs-jd');
const { check } = require('./common.cjs');

check(tf, jd, { backend: process.argv[2] }).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
