import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app.tsx';
import { appStore } from './app/store.ts';
import { savedTheme } from './app/use-theme.ts';
import './app/styles.css';

appStore.getState().setTheme(savedTheme());
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
