// "Run headless": `bootvisor run` as a VS Code task. It leaves its exit report in .bootvisor/last-run.json,
// which the language server watches and turns into Problems at the source lines.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { WORKSPACE_REPORT_PATH } from '../common/exit-report';
import { nodeRuntime } from './entry_points';

export const TASK_TYPE = 'bootvisor';
const DEFAULT_TIMEOUT_SECONDS = 10;

interface RunTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  /** the .asm or .img to run */
  program: string;
  /** more `bootvisor run` options, e.g. ["--timeout", "5"] */
  args?: string[];
}

export class HeadlessRunTasks implements vscode.TaskProvider {
  constructor(private readonly cliMain: string) {}

  provideTasks(): vscode.Task[] {
    return [];
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const definition = task.definition as RunTaskDefinition;
    if (typeof definition.program !== 'string' || !definition.program) return undefined;
    return this.create(definition, task.scope ?? vscode.TaskScope.Workspace);
  }

  /** The task that runs one file headless, in the workspace folder that holds it. */
  taskFor(file: vscode.Uri): vscode.Task {
    const folder = vscode.workspace.getWorkspaceFolder(file);
    return this.create({ type: TASK_TYPE, program: file.fsPath }, folder ?? vscode.TaskScope.Workspace);
  }

  private create(definition: RunTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope): vscode.Task {
    const runtime = nodeRuntime();
    const folder = typeof scope === 'object' ? scope.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const cwd = folder ?? path.dirname(definition.program);
    const extra = definition.args ?? [];
    // A guest that waits forever (for a key, say) would keep the task running forever: give it a limit.
    const limit = extra.some((a) => a === '--timeout' || a === '--max-instructions')
      ? []
      : ['--timeout', String(DEFAULT_TIMEOUT_SECONDS)];
    const args = [
      this.cliMain,
      'run',
      definition.program,
      '--report',
      path.join(cwd, WORKSPACE_REPORT_PATH),
      ...limit,
      ...extra,
    ];
    const execution = new vscode.ProcessExecution(runtime.command, args, { cwd, env: runtime.env });
    const task = new vscode.Task(
      definition,
      scope,
      `run ${path.basename(definition.program)}`,
      'bootvisor',
      execution,
      [],
    );
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  }
}
