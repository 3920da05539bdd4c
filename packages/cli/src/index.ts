export { main } from './main.js';
export { CliError, type Command, type Io } from './command.js';
