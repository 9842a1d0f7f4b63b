/**
 * The JSON contract between the states of the compaction workflow and the activity workers.
 *
 * <p>Every state's input and output is one record here, serialized by Jackson with its field names
 * as they are. The workers module depends on this package, so it holds no CDK type: only records,
 * enums, constants and Jackson annotations. State payloads stay tiny whatever the size of the
 * batch: the plan itself lives in S3 under {@link
 * com.chromacompactor.statemachine.contract.StorageLayout#PLANS_PREFIX}, and states pass its key.
 *
 * <p>Flow, with the record each activity receives and returns:
 *
 * <pre>
 *  execution input: CompactionRequest
 *  Plan           PlanInput        -&gt; PlanOutput           (at $.plan; the plan file is a JSON array of PlannedChunk)
 *  HasWork        chunkCount == 0  -&gt; NothingToCompact (Succeed)
 *  SelectMode     totalEmbeddings &gt; threshold ? SEQUENTIAL : PARALLEL   (at $.mode)
 *  SelectFanOut   chunkCount &gt; inline limit ? Distributed Map (ItemReader on the plan) : inline Map
 *  CompactChunk   ChunkTask        -&gt; ChunkResult          (one per chunk; results are discarded, keys are derived)
 *                 on error after retries: ChunkFailure, then Fail Compaction.ChunkFailed
 *  FinalMerge     FinalMergeInput  -&gt; FinalMergeOutput     (at $.merge)
 *  Publish        PublishInput     -&gt; PublishOutput        (at $.publish; Publish.Conflict -&gt; Fail PublishConflict)
 *  Cleanup        CleanupInput     -&gt; CleanupOutput        (at $.cleanup)
 *  CollectGarbage CollectGarbageInput -&gt; CollectGarbageOutput (at $.gc; also after NothingToCompact's plan; on
 *                 error after retries: the TaskError at $.gc, a GcFailures metric, and the run still succeeds)
 * </pre>
 */
package com.chromacompactor.statemachine.contract;
