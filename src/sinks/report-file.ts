import { rm } from 'node:fs/promises';
import { VethcapError, ioReason } from '../errors.js';
import type { ReportData } from '../report/report-data.js';
import { renderReportHtml } from '../report/report-html.js';
import { openOutputFile, type OutputFile } from './output-file.js';

/**
 * The `--html FILE` report on disk. Opened before the run, so that a path that cannot be
 * written is said before anything is captured, by the output rules every file vethcap
 * writes follows (output-file.ts: 0600, never through a symbolic link, the sudo user's);
 * written once at the end, after Ctrl-C too.
 */
export class ReportFile {
  private constructor(
    readonly path: string,
    private file: OutputFile | undefined,
  ) {}

  static async open(path: string): Promise<ReportFile> {
    return new ReportFile(path, await openOutputFile(path));
  }

  /** Writes the page and closes the file; returns its size in bytes. */
  async write(data: ReportData): Promise<number> {
    const file = this.file;
    if (!file) throw new VethcapError('INTERNAL', `the report ${this.path} was already written or abandoned`);
    this.file = undefined;
    const page = Buffer.from(renderReportHtml(data), 'utf8');
    try {
      await file.handle.write(page, 0, page.length, file.kind === 'file' ? 0 : null);
    } catch (error) {
      throw new VethcapError('IO', `cannot write ${this.path}: ${ioReason(error)}.`, { cause: error });
    } finally {
      await file.handle.close();
    }
    return page.length;
  }

  /** The run failed before there was anything to show: close, and remove the file if vethcap made it. */
  async abandon(): Promise<void> {
    const file = this.file;
    if (!file) return;
    this.file = undefined;
    await file.handle.close().catch(() => undefined);
    if (file.kind === 'file' && file.created) await rm(this.path, { force: true });
  }
}
