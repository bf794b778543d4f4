/** The stage implementations by kind (imported by the worker only; see runs/registry.ts). */
import type { StageKind } from '../../../schemas/protocol';
import type { StageSpec } from '../../spec/types';
import { STAGES } from '../registry';
import type { Stage } from '../stage';
import { genevalStage } from './geneval';
import { grpoStage } from './grpo';
import { pretrainStage } from './pretrain';
import { sampleStage } from './sample';
import { sftStage } from './sft';

const IMPLEMENTATIONS: Partial<Record<StageKind, Stage>> = {
  geneval: genevalStage as Stage,
  pretrain: pretrainStage as Stage,
  grpo: grpoStage as Stage,
  sample: sampleStage as Stage,
  sft: sftStage as Stage,
};

export function stageFor(config: StageSpec): Stage {
  const why = STAGES[config.kind].unavailable(config);
  const stage = IMPLEMENTATIONS[config.kind];
  if (why || !stage) throw new Error(why?.message ?? `stage kind "${config.kind}" is not available in this version`);
  return stage;
}
