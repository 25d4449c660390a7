import { useEffect } from 'react';
import { useAppStore } from './store.ts';
import type { ThemeChoice } from './ui-slice.ts';

const KEY = 'dragonfly.theme';

export function savedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/** 'system' leaves the choice to prefers-color-scheme (in CSS); light/dark pin it on <html>. */
export function useTheme(): void {
  const theme = useAppStore((s) => s.theme);
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'system') root.removeAttribute('data-theme');
    else root.setAttribute('data-theme', theme);
    try {
      localStorage.setItem(KEY, theme);
    } catch {
      /* private windows may refuse storage; the choice lasts for this session */
    }
  }, [theme]);
}

export function nextTheme(t: ThemeChoice): ThemeChoice {
  return t === 'system' ? 'dark' : t === 'dark' ? 'light' : 'system';
}
