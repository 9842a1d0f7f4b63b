package com.chromacompactor.metrics;

import com.chromacompactor.statemachine.contract.MetricNames;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;

/**
 * The dimensions of one datapoint: {@value MetricNames#DIMENSION_BATCH}, {@value
 * MetricNames#DIMENSION_COLLECTION} and {@value MetricNames#DIMENSION_LINEAGE}, each only where
 * known. {@link #NONE} is the aggregate series that alarms and the dashboard watch.
 *
 * @param batch the batch id, or null
 * @param collection the collection name, or null
 * @param lineage the lineage's dimension value ({@link MetricNames#lineageDimension}), or null
 */
public record MetricDimensions(String batch, String collection, String lineage) {
  public static final MetricDimensions NONE = new MetricDimensions(null, null, null);

  public MetricDimensions {
    batch = blankToNull(batch);
    collection = blankToNull(collection);
    lineage = blankToNull(lineage);
  }

  /** Batch and collection, no lineage. */
  public MetricDimensions(String batch, String collection) {
    this(batch, collection, null);
  }

  public MetricDimensions withBatch(String newBatch) {
    return new MetricDimensions(newBatch, collection, lineage);
  }

  public MetricDimensions withCollection(String newCollection) {
    return new MetricDimensions(batch, newCollection, lineage);
  }

  public MetricDimensions withLineage(String newLineage) {
    return new MetricDimensions(batch, collection, newLineage);
  }

  public boolean isNone() {
    return batch == null && collection == null && lineage == null;
  }

  /** As CloudWatch takes them; values are clipped to CloudWatch's 1,024 characters. */
  List<Dimension> toCloudWatch() {
    List<Dimension> out = new ArrayList<>(3);
    if (batch != null) {
      out.add(Dimension.builder().name(MetricNames.DIMENSION_BATCH).value(clip(batch)).build());
    }
    if (collection != null) {
      out.add(
          Dimension.builder()
              .name(MetricNames.DIMENSION_COLLECTION)
              .value(clip(collection))
              .build());
    }
    if (lineage != null) {
      out.add(Dimension.builder().name(MetricNames.DIMENSION_LINEAGE).value(clip(lineage)).build());
    }
    return out;
  }

  private static String clip(String value) {
    return value.length() <= 1024 ? value : value.substring(0, 1024);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
