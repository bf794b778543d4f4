/**
 * The GRPO objective on per-token log-probabilities: PPO's clipped importance ratio weighted by
 * the group advantage, averaged over generated tokens, minus beta times the k3 estimate of
 * KL(policy || reference) per token (the estimator TRL and DeepSeekMath use).
 */
import * as tf from '@tensorflow/tfjs';

export interface GrpoTerms {
  loss: tf.Scalar;
  /** Mean per-token KL estimate. */
  kl: tf.Scalar;
  /** Fraction of tokens whose ratio was clipped. */
  clipRatio: tf.Scalar;
}

/**
 * newLogp, oldLogp, refLogp, weights: [B, N]; advantages: [B]. oldLogp and refLogp carry no
 * gradient (they are data); weights mark the tokens that count. beta: one weight, or one a row ([B, 1]).
 */
export function grpoLoss(newLogp: tf.Tensor, oldLogp: tf.Tensor, refLogp: tf.Tensor, weights: tf.Tensor, advantages: tf.Tensor, clipEps: number, beta: number | tf.Tensor): GrpoTerms {
  const adv = advantages.reshape([-1, 1]);
  const ratio = tf.exp(tf.sub(newLogp, oldLogp));
  const unclipped = tf.mul(ratio, adv);
  const clipped = tf.mul(tf.clipByValue(ratio, 1 - clipEps, 1 + clipEps), adv);
  const surrogate = tf.minimum(unclipped, clipped);
  const delta = tf.sub(refLogp, newLogp);
  const kl = tf.sub(tf.sub(tf.exp(delta), delta), 1);
  const total = tf.maximum(tf.sum(weights), 1);
  const perToken = tf.sub(surrogate, tf.mul(kl, beta));
  const loss = tf.neg(tf.div<tf.Scalar>(tf.sum(tf.mul(perToken, weights)), total));
  const isClipped = tf.cast(tf.logicalOr(tf.less(ratio, 1 - clipEps), tf.greater(ratio, 1 + clipEps)), 'float32');
  return {
    loss,
    kl: tf.div<tf.Scalar>(tf.sum(tf.mul(kl, weights)), total),
    clipRatio: tf.div<tf.Scalar>(tf.sum(tf.mul(isClipped, weights)), total),
  };
}
