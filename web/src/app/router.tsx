import { BrowserRouter, Route, Routes } from 'react-router';
import { AppLayout } from './layout.tsx';
import { HomePage } from './routes/home.tsx';
import { NotFoundPage } from './routes/not-found.tsx';
import { SoundPage } from './routes/sound.tsx';
import { UserPage } from './routes/user.tsx';

/** The app's addresses; every one of them survives a reload (nginx and vite preview fall back to index.html). */
export function AppRoutes() {
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<HomePage />} />
        <Route path="sounds/:soundId" element={<SoundPage />} />
        <Route path="users/:userId" element={<UserPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

export function AppRouter() {
  return (
    <BrowserRouter>
      <AppRoutes />
    </BrowserRouter>
  );
}
