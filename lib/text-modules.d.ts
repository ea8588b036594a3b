// YAML files imported as text: esbuild's text loader in the bundle, a jest transform in tests.
declare module '*.yml' {
  const text: string;
  export default text;
}
declare module '*.asl.yml' {
  const text: string;
  export default text;
}
