import { TmonError } from '../errors.js';

export class ConfigError extends TmonError {
  readonly errors: string[];

  constructor(errors: string[], file?: string) {
    super('CONFIG_INVALID', `${file ? `config ${file}: ` : 'config: '}${errors.join('; ')}`);
    this.errors = errors;
  }
}

