// Player icons as inline SVG: no icon font, and no emoji a system may lack a glyph for.
const paths = {
  play: 'M8 5.5v13a1 1 0 0 0 1.5.86l10.4-6.5a1 1 0 0 0 0-1.72L9.5 4.64A1 1 0 0 0 8 5.5Z',
  pause: 'M7 5h3.5v14H7zM13.5 5H17v14h-3.5z',
  previous:
    'M6 5h2.5v14H6zM19 5.8v12.4a.8.8 0 0 1-1.25.66L9.5 13.1a1.3 1.3 0 0 1 0-2.2l8.25-5.76A.8.8 0 0 1 19 5.8Z',
  next: 'M15.5 5H18v14h-2.5zM5 5.8v12.4a.8.8 0 0 0 1.25.66l8.25-5.76a1.3 1.3 0 0 0 0-2.2L6.25 5.14A.8.8 0 0 0 5 5.8Z',
} as const;

/** A decorative icon: the button around it carries the name. */
export function Icon({ name }: { name: keyof typeof paths }) {
  return (
    <svg className="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={paths[name]} fill="currentColor" />
    </svg>
  );
}
