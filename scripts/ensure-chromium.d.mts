// Types of ensure-chromium.mjs, for its test.
export const DEBIAN_CHROMIUM: string
export const INSTALL_COMMAND: string
export type ChromiumPlan = { action: 'ok' } | { action: 'install' } | { action: 'stop', message: string }
export function chromiumPlan (facts: { path: string, isExecutable: (path: string) => boolean, isRoot: boolean }): ChromiumPlan
export function isExecutable (path: string): boolean
