// workerd (and wrangler's bundler) import a .wasm file as an already compiled WebAssembly.Module.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
