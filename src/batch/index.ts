export * from './model.js';
export * from './operations.js';
export * from './problem.js';
export * from './graph.js';
export { validateBatch, validateDocument, type ValidateOptions } from './validate.js';
export { checkRewriteOutput, type RewriteCheck, type RewriteInput } from './output-rules.js';
export { batchContext } from './context.js';
export { placedProblems, problemLine } from './placed-problems.js';
