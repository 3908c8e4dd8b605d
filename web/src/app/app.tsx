import { AppProviders } from './providers.tsx';
import { AppRouter } from './router.tsx';
import './styles.css';

export function App() {
  return (
    <AppProviders>
      <AppRouter />
    </AppProviders>
  );
}
