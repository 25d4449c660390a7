import { lazy, Suspense, useEffect } from 'react';
import { appStore, useAppStore } from './store.ts';
import { refreshStatus, startLiveData } from './live-data.ts';
import { nextTheme, useTheme } from './use-theme.ts';
import type { View } from './ui-slice.ts';
import { useSessionBootstrap } from '../features/auth/hooks/use-session-bootstrap.ts';
import { LoginView } from '../features/auth/components/login-view.tsx';
import { ChangePasswordForm } from '../features/auth/components/change-password-form.tsx';
import { logout } from '../features/auth/auth-api.ts';
import { MachinesView } from '../features/machines/components/machines-view.tsx';
import { MachineDetail } from '../features/machines/components/machine-detail.tsx';
import { TemplatesPanel } from '../features/templates/components/templates-panel.tsx';
import { TemplatesView } from '../features/templates/components/templates-view.tsx';
import { RulesView } from '../features/rules/components/rules-view.tsx';
import { ImagesView } from '../features/images/components/images-view.tsx';
import { AssignDialog } from '../features/workflows/components/assign-dialog.tsx';
import { AssignPicker } from '../features/workflows/components/assign-picker.tsx';
import { ProvisioningView } from '../features/workflows/components/provisioning-view.tsx';
import { MachineWorkflowPanel } from '../features/workflows/components/machine-workflow-panel.tsx';
import { NetworkSettingsView } from '../features/settings/components/network-settings-view.tsx';
import { FirstRunView } from '../features/first-run/components/first-run-view.tsx';
import { useFirstRunLanding } from '../features/first-run/hooks/use-first-run-landing.ts';
import { StatusBar } from '../features/status/components/status-bar.tsx';
import { ConnectionBanner } from '../features/status/components/connection-banner.tsx';
import { Toasts } from '../features/status/components/toasts.tsx';
import { ReportButton } from '../features/report/components/report-button.tsx';

// The terminal emulator (xterm.js) is most of the bundle's weight and only the Console tab needs it.
const ConsolePanel = lazy(() => import('../features/console/components/console-panel.tsx').then((m) => ({ default: m.ConsolePanel })));

const views: { id: View; label: string }[] = [
  { id: 'setup', label: 'Setup' },
  { id: 'machines', label: 'Machines' },
  { id: 'provisioning', label: 'Provisioning' },
  { id: 'templates', label: 'Templates' },
  { id: 'rules', label: 'Rules' },
  { id: 'images', label: 'Images' },
  { id: 'settings', label: 'Settings' },
];

export function App() {
  useTheme();
  useSessionBootstrap();
  const phase = useAppStore((s) => s.authPhase);
  if (phase === 'checking') return <p className="empty">Connecting to Dragonfly…</p>;
  if (phase === 'signed-out') return <LoginView />;
  return <SignedIn />;
}

function SignedIn() {
  useEffect(() => startLiveData(appStore), []);
  const view = useAppStore((s) => s.view);
  const setView = useAppStore((s) => s.setView);
  const startAssign = useAppStore((s) => s.startAssign);
  useFirstRunLanding();
  return (
    <div className="app">
      <TopBar />
      <ConnectionBanner />
      <main className="app-main" id="main">
        {view === 'setup' && <FirstRunView onDone={() => setView('machines')} onSettingsChanged={() => void refreshStatus(appStore)} />}
        {view === 'machines' && <MachinesView onAssign={startAssign} assignControls={<AssignPicker />} side={<TemplatesPanel />} />}
        {view === 'provisioning' && <ProvisioningView />}
        {view === 'templates' && <TemplatesView />}
        {view === 'rules' && <RulesView />}
        {view === 'images' && <ImagesView />}
        {view === 'settings' && (
          <div className="settings-stack">
            <NetworkSettingsView />
            <ChangePasswordForm />
          </div>
        )}
      </main>
      <StatusBar />
      <MachineDetail
        workflowPanel={(m) => <MachineWorkflowPanel machine={m} />}
        consolePanel={(m) => (
          <Suspense fallback={<p>Loading the console…</p>}>
            <ConsolePanel machine={m} />
          </Suspense>
        )}
      />
      <AssignDialog />
      <Toasts />
    </div>
  );
}

function TopBar() {
  const view = useAppStore((s) => s.view);
  const setView = useAppStore((s) => s.setView);
  const theme = useAppStore((s) => s.theme);
  const setTheme = useAppStore((s) => s.setTheme);
  const session = useAppStore((s) => s.session);
  const signedOut = useAppStore((s) => s.signedOut);
  const failed = useAppStore((s) => s.status?.counts?.byState?.Error ?? 0);
  return (
    <header className="topbar">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <span className="brand">
        <span className="logo" aria-hidden="true" /> Dragonfly
      </span>
      <nav aria-label="Views" className="tabs">
        {views.map((v) => (
          <button key={v.id} type="button" className="tab" aria-current={view === v.id ? 'page' : undefined} onClick={() => setView(v.id)}>
            {v.label}
            {v.id === 'provisioning' && failed > 0 && <span className="count-badge" aria-label={`${failed} failed`}>{failed}</span>}
          </button>
        ))}
      </nav>
      <div className="topbar-right">
        <ReportButton />
        <button type="button" className="quiet" onClick={() => setTheme(nextTheme(theme))} aria-label={`Theme: ${theme}. Change theme`}>
          {theme === 'system' ? 'Theme: system' : theme === 'dark' ? 'Theme: dark' : 'Theme: light'}
        </button>
        {session && session.via !== 'electron' && (
          <button type="button" className="quiet" onClick={() => void logout().finally(() => signedOut('Signed out.'))}>
            Sign out {session.user}
          </button>
        )}
      </div>
    </header>
  );
}
