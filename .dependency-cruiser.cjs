/**
 * Import rules for the whole workspace (`pnpm lint` runs them): packages use each other only
 * by name, and the layers point one way. See docs/architecture.md, "Layers".
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-relative-import-across-packages',
      comment:
        'A relative import may not leave its package: import another package by its name ' +
        '(a workspace:* dependency and its `exports`), e.g. @cloud-sound/server/testing/audio.',
      severity: 'error',
      from: { path: '^(backends/[^/]+|server|web|e2e|bench|system)/' },
      to: { dependencyTypes: ['local'], pathNot: ['^$1/', '^node_modules/'] },
    },
    {
      name: 'no-relative-import-into-packages',
      comment:
        'The repository-level tests and scripts (the root package) use the packages by name too.',
      severity: 'error',
      from: { path: '^(test|scripts)/' },
      to: { dependencyTypes: ['local'], path: '^(backends|server|web|e2e|bench|system)/' },
    },
    {
      name: 'no-undeclared-package',
      comment: 'Every package imported is declared in the importing package.json.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'web-is-not-server',
      comment: 'The web app talks to the API over HTTP only; it never imports server code.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^(server|backends|system)/' },
    },
    {
      name: 'routes-do-not-reach-the-database',
      comment:
        'Routes validate, call a service and shape the reply: the database (and the ' +
        'repository) stays behind the services.',
      severity: 'error',
      from: { path: '^server/src/routes/' },
      to: {
        path: [
          '^server/src/db/',
          '^server/src/sounds/repository[.]ts$',
          '^server/src/processing/jobs[.]ts$',
        ],
      },
    },
    {
      name: 'production-code-does-not-import-tests',
      severity: 'error',
      from: {
        path: '^(server|backends/[^/]+|system|web)/src/',
        pathNot: '/testing/|[.]test[.]tsx?$',
      },
      to: { path: '/test/|[.]test[.]tsx?$|/testing/' },
    },
    {
      name: 'media-knows-no-sounds',
      comment:
        'media/ runs and reads ffmpeg and ffprobe: it knows nothing of sounds, the database or HTTP routes.',
      severity: 'error',
      from: { path: '^server/src/media/' },
      to: { path: '^server/src/(db|routes|sounds|plugins|processing)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)node_modules/', '(^|/)dist/', '[.]gen[.]ts$'] },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
