// npm run api:types: regenerate src/lib/api-types.ts (the typed client's types) from the OpenAPI document.
import fs from "node:fs";
import { API_TYPES_FILE, apiTypesSource } from "./lib/api-types";

fs.writeFileSync(API_TYPES_FILE, await apiTypesSource());
console.log(`wrote ${API_TYPES_FILE}`);
