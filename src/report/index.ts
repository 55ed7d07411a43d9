// The HTML training report: writeReport and what it is made of.
export { writeReport } from './write';
export type { ReportInput, ReportData } from './data';
export type { ReportKind } from './kind';
