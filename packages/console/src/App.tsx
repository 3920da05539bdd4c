export function App() {
  return <main><h1>Parapet</h1></main>;
}
