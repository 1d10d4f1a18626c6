export default function Home() {
  return <main><h1>Beacon</h1></main>;
}
