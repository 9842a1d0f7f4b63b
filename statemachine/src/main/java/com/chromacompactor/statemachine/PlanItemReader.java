package com.chromacompactor.statemachine;

import com.chromacompactor.statemachine.contract.Lineage;
import com.chromacompactor.statemachine.contract.StorageLayout;
import java.util.List;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.stepfunctions.JsonPath;
import software.amazon.awscdk.services.stepfunctions.S3FileItemReaderProps;
import software.amazon.awscdk.services.stepfunctions.S3JsonItemReader;

/**
 * The Distributed Map's ItemReader: the JSON array at {@code $.plan.planKey}. The state machine
 * role may read {@code plans/*} of its lineages only, where {@link S3JsonItemReader} alone would
 * grant every object of the bucket (the key is only known at run time).
 */
final class PlanItemReader extends S3JsonItemReader {
  private final IBucket planBucket;
  private final List<Lineage> lineages;

  PlanItemReader(IBucket bucket, List<Lineage> lineages) {
    super(
        S3FileItemReaderProps.builder()
            .bucket(bucket)
            .key(JsonPath.stringAt("$.plan.planKey"))
            .build());
    this.planBucket = bucket;
    this.lineages = List.copyOf(lineages);
  }

  @Override
  public List<PolicyStatement> providePolicyStatements() {
    return List.of(
        PolicyStatement.Builder.create()
            .actions(List.of("s3:GetObject"))
            .resources(
                lineages.stream()
                    .map(l -> planBucket.arnForObjects(l.root() + StorageLayout.PLANS_PREFIX + "*"))
                    .toList())
            .build());
  }
}
