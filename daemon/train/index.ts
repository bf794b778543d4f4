/** Training: procedural data, the learning-rate schedule, pretraining (UniRL-SFT and -GRPO plug in here). */
export * from './data';
export * from './schedule';
export * from './pretrain';
export * from './evaluate';
export * from './unirl';
export * from './unirl-loop';
export * from './grpo-loss';
export * from './grpo';
export * from './curriculum';
export * from './sft';
