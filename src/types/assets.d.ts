// Text assets embedded into the single executable with `import x from "./file.sql" with { type: "text" }`.
declare module "*.sql" {
  const text: string;
  export default text;
}
