import { createRequire as __dgRequire } from 'node:module'; import { fileURLToPath as __dgPath } from 'node:url'; import { dirname as __dgDirname } from 'node:path'; const require = __dgRequire(import.meta.url); const __filename = __dgPath(import.meta.url); const __dirname = __dgDirname(__filename);
import{l as a}from"./chunk-TW55B7PX.js";import"./chunk-777BG2YJ.js";export default a();
