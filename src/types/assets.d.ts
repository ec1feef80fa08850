// Text assets embedded into the single executable with `import x from "./file.sql" with { type: "text" }`.
declare module "*.sql" {
  const text: string;
  export default text;
}

// Binary assets embedded with `import path from "./x.wasm" with { type: "file" }`: the import is a
// path that `Bun.file` reads, inside the executable or beside the source.
declare module "*.wasm" {
  const path: string;
  export default path;
}
