import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * The documented interfaces between core features: the fleet reads sensors
 * through the sensor feature's sources; the monitor and the sidebar read every
 * feature's metrics. Everything else a feature needs from another lives in shared/.
 */
const FEATURE_INTERFACES = {
    devices: ['ha'],
    fleet: ['sensor'],
    hub: ['ha'],
    monitor: ['hub', 'fleet', 'serial', 'gateway', 'light', 'door-lock', 'devices'],
    sidebar: ['hub', 'monitor', 'light', 'door-lock', 'devices'],
};
const FEATURES = [
    'devices',
    'door-lock',
    'fleet',
    'gateway',
    'ha',
    'hub',
    'light',
    'monitor',
    'sensor',
    'serial',
    'sidebar',
    'threshold',
];

function coreFeatureBoundaries() {
    return [...FEATURES, 'shared'].map((feature) => {
        const allowed = new Set([feature, 'shared', ...(FEATURE_INTERFACES[feature] ?? [])]);
        const others = FEATURES.filter((f) => !allowed.has(f));
        return {
            files: [`src/core/${feature}/**/*.ts`],
            rules: {
                'no-restricted-imports': [
                    'error',
                    {
                        patterns: [
                            {
                                group: ['node-red', 'node-red/*', '@node-red/*'],
                                message: 'src/core must not import Node-RED.',
                            },
                            {
                                regex: '^\\.\\./\\.\\.(/|$)',
                                message:
                                    'src/core must not import the adapters in src/ (or anything outside src/core).',
                            },
                            ...(others.length === 0
                                ? []
                                : [
                                      {
                                          group: others.map((f) => `../${f}`).concat(others.map((f) => `../${f}/*`)),
                                          message: `src/core/${feature} may import other features only through shared/ or FEATURE_INTERFACES in eslint.config.mjs.`,
                                      },
                                  ]),
                        ],
                    },
                ],
            },
        };
    });
}

export default tseslint.config(
    {
        ignores: ['node_modules/', '.tools/', '.tmp/', '.node-red-home/', 'nodes/', 'test/e2e/artifacts/'],
    },
    js.configs.recommended,
    {
        files: ['src/**/*.ts'],
        extends: [...tseslint.configs.strictTypeChecked],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
        },
    },
    {
        // Core is plain TypeScript: no Node-RED, no adapter code. A feature reaches
        // another only through shared/ or an interface listed in FEATURE_INTERFACES.
        files: ['src/core/**/*.ts'],
        rules: {
            'no-restricted-imports': [
                'error',
                {
                    patterns: [
                        {
                            group: ['node-red', 'node-red/*', '@node-red/*'],
                            message: 'src/core must not import Node-RED.',
                        },
                        {
                            regex: '^\\.\\./\\.\\.(/|$)',
                            message: 'src/core must not import the adapters in src/ (or anything outside src/core).',
                        },
                    ],
                },
            ],
        },
    },
    ...coreFeatureBoundaries(),
    {
        files: ['**/*.js'],
        languageOptions: {
            sourceType: 'commonjs',
            ecmaVersion: 2022,
            globals: { ...globals.node, ...globals.mocha },
        },
        rules: {
            'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
        },
    },
);
