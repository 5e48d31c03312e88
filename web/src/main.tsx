/** The Simmer dashboard: a hash-routed single page over the server's JSON API. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type RunRow } from './api.ts';
import { DataPage } from './pages/Data.tsx';
import { EvaluationPage } from './pages/Evaluation.tsx';
import { GeneratePage } from './pages/Generate.tsx';
import { LearnPage } from './pages/Learn.tsx';
import { ModelPage } from './pages/Model.tsx';
import { ProjectorPage } from './pages/Projector.tsx';
import { RlPage } from './pages/Rl.tsx';
import { RunPage, RunsPage } from './pages/Runs.tsx';
import { href, useRoute } from './router.ts';
import './styles.css';

const SECTIONS = [
  ['runs', 'Runs'],
  ['eval', 'Evaluation'],
  ['model', 'Inside the model'],
  ['data', 'Data'],
  ['generate', 'Generate'],
  ['projector', 'Projector'],
  ['rl', 'RL'],
  ['learn', 'Learn'],
] as const;

/** Evaluation and model pages need a run: send the user to the newest one that has finished an epoch. */
function PickRun({ section }: { section: 'eval' | 'model' }) {
  const [runs, setRuns] = useState<RunRow[] | null>(null);
  useEffect(() => {
    api<{ runs: RunRow[] }>('/api/runs').then((r) => setRuns(r.runs));
  }, []);
  const ready = runs?.filter((r) => r.epochsDone > 0) ?? [];
  useEffect(() => {
    if (ready.length) location.replace(href(section, ready[0].id));
  }, [runs]);
  if (!runs) return <p class="muted">loading…</p>;
  return <p class="muted">No run has finished an epoch yet. Start one on the Runs page.</p>;
}

function App() {
  const [section = 'runs', id, extra] = useRoute();
  let page = <RunsPage />;
  if (section === 'runs' && id) page = <RunPage key={id} id={id} />;
  else if (section === 'eval') page = id ? <EvaluationPage key={id} id={id} /> : <PickRun section="eval" />;
  else if (section === 'model') page = id ? <ModelPage key={id} id={id} index={Number(extra ?? 0) || 0} /> : <PickRun section="model" />;
  else if (section === 'data') page = <DataPage name={id} />;
  else if (section === 'learn') page = <LearnPage />;
  else if (section === 'generate') page = <GeneratePage id={id} />;
  else if (section === 'projector') page = <ProjectorPage />;
  else if (section === 'rl') page = <RlPage id={id} />;
  return (
    <>
      <header>
        <a class="brand" href={href('runs')}>
          Simmer
        </a>
        <nav>
          {SECTIONS.map(([key, label]) => (
            <a key={key} href={href(key)} class={section === key ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
