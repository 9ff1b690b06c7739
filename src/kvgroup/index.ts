export * from './document.js';
export * from './helpers.js';
export { parseKvg, DEFAULT_MAX_DEPTH, type ParseOptions } from './parser.js';
export { positionOf } from './positions.js';
export { printKvg, jsonView, quote } from './printer.js';
export { KvgSyntaxError, type KvgSyntaxCode, type SourcePosition } from './syntax-error.js';
