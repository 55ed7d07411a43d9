// The benchmark peers are devDependencies of bench/ only (bench/package.json): typechecked from the
// repository root they are untyped modules.
declare module 'brain.js';
declare module 'convnetjs';
declare module '@tensorflow/tfjs';
declare module '@tensorflow/tfjs-backend-wasm';
