/** Small shared pieces: a pixelated image, an error/loading line, a probability bar. */
import type { ComponentChildren } from 'preact';

export function Pixels({ src, size = 96, alt, title }: { src: string; size?: number; alt: string; title?: string }) {
  return <img class="pixels" src={src} width={size} height={size} alt={alt} title={title} />;
}

export function Status({ error, loading, children }: { error?: string | null; loading?: boolean; children?: ComponentChildren }) {
  if (error) return <p class="error">{error}</p>;
  if (loading) return <p class="muted">{children ?? 'loading…'}</p>;
  return null;
}

export function Bar({ value, label }: { value: number; label: string }) {
  return (
    <div class="bar" title={`${label}: ${(value * 100).toFixed(1)}%`}>
      <span class="bar-label">{label}</span>
      <span class="bar-track">
        <span class="bar-fill" style={{ width: `${Math.max(0, Math.min(1, value)) * 100}%` }} />
      </span>
      <span class="bar-value">{(value * 100).toFixed(1)}%</span>
    </div>
  );
}
