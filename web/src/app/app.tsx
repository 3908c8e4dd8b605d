import { apiBaseUrl } from '../lib/api-url.ts';

export function App() {
  return (
    <main>
      <h1>Cloud Sound</h1>
      <p>Share and listen to sounds. The app is coming soon.</p>
      <p>
        API: <code>{apiBaseUrl()}</code>
      </p>
    </main>
  );
}
