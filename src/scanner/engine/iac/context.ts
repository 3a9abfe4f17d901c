// What an IaC rule sees: one parsed template (CloudFormation, SAM or serverless.yml) with positions on
// every node, its CloudFormation resources, and every Lambda function in one shape whatever the flavour
// (SAM Globals and serverless provider defaults already applied), so that most rules need no per-format
// code; the few that must read flavour-specific keys find them on `root`, `globals` and `serverless`.

import type { Report } from '../../types.ts';
import type { PEntry, PMap, PNode, Pos } from '../yaml-tree.ts';

export type TemplateKind = 'cloudformation' | 'sam' | 'serverless';

export interface CfnResource {
  /** Logical id. */
  id: string;
  type: string;
  keyPos: Pos;
  node: PMap;
  properties: PNode | undefined;
}

/** An effective property value and where it was written (the function, SAM Globals, serverless provider). */
export interface Effective {
  node: PNode;
  from: 'function' | 'globals' | 'provider';
}

export interface LambdaFunction {
  /** Logical id (CloudFormation, SAM) or the key under serverless `functions`. */
  id: string;
  kind: 'cfn' | 'sam' | 'serverless';
  keyPos: Pos;
  /** The resource's Properties (cfn, sam) or the serverless function's mapping. */
  properties: PNode | undefined;
  runtime?: Effective;
  /** Environment variables, the function's own over the global/provider ones. */
  environment: PEntry[];
  /** Where the environment is declared: the `Environment` / `environment` key of the function, else of Globals or the provider. */
  environmentAt?: Pos;
  kmsKeyArn?: Effective;
  /** SAM `Tracing`, CloudFormation `TracingConfig.Mode`, serverless function `tracing` / provider `tracing.lambda`. */
  tracing?: Effective;
  /** ReservedConcurrentExecutions / reservedConcurrency. */
  reservedConcurrency?: Effective;
}

export interface ServerlessModel {
  provider: PNode | undefined;
  /** `functions` entries (variables resolved). */
  functions: Array<{ name: string; keyPos: Pos; node: PNode }>;
}

export interface IacTemplate {
  /** Path relative to the scanned root. */
  file: string;
  kind: TemplateKind;
  /** The whole document, serverless variables resolved. */
  root: PMap;
  resources: CfnResource[];
  /** SAM Globals sections (absent elsewhere). */
  globals: { Function?: PNode; Api?: PNode; HttpApi?: PNode };
  functions: LambdaFunction[];
  serverless?: ServerlessModel;
}

export interface IacContext extends IacTemplate {
  /** This rule's options (ScanOptions.ruleOptions[rule id]). */
  options: Record<string, unknown>;
  /** `file` defaults to the template's. */
  report(r: Omit<Report, 'file'> & { file?: string }): void;
}
