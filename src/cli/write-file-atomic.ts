// The helper lives in api/ (the jobs layer uses it too); kept here so CLI imports stay short.
export { writeFileAtomic } from '../api/write-file-atomic.js';
