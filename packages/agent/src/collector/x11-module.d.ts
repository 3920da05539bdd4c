// The `x11` package ships no types; collector/x11.ts declares the few calls it uses.
declare module 'x11' {
  const x11: unknown;
  export default x11;
}
