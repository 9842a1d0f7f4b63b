package com.chromacompactor.infra;

import com.chromacompactor.statemachine.CompactionWorkflow;
import com.chromacompactor.statemachine.contract.MetricNames;
import java.util.List;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.AlarmStatusWidget;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.cloudwatch.GraphWidget;
import software.amazon.awscdk.services.cloudwatch.HorizontalAnnotation;
import software.amazon.awscdk.services.cloudwatch.IAlarm;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.services.sns.Topic;
import software.constructs.Construct;

/**
 * Alarms and a dashboard for one workflow and its workers. Alarm actions go to {@link
 * #getAlarmTopic()}; subscribe to it to be told.
 */
public class CompactorMonitoring extends Construct {
  /** MemoryUsagePercent above this alarms. */
  public static final double MEMORY_ALARM_PERCENT = 80;

  private final Topic alarmTopic;
  private final Alarm memoryAlarm;
  private final Alarm failedExecutionsAlarm;
  private final Alarm timedOutExecutionsAlarm;
  private final Alarm quarantineAlarm;
  private final Alarm waitingAlarm;
  private final Alarm gcFailedAlarm;
  private final Dashboard dashboard;

  public CompactorMonitoring(
      Construct scope, String id, CompactionWorkflow workflow, MergeWorkers workers) {
    this(scope, id, workflow, workers, Duration.hours(3));
  }

  /**
   * @param waitingAlarmAfter the age of the oldest waiting delta (one that Plan found still
   *     uploading) that raises the alarm: an upload that never completes is quarantined only after
   *     the incomplete-upload limit
   */
  public CompactorMonitoring(
      Construct scope,
      String id,
      CompactionWorkflow workflow,
      MergeWorkers workers,
      Duration waitingAlarmAfter) {
    super(scope, id);
    this.alarmTopic = Topic.Builder.create(this, "AlarmTopic").enforceSsl(true).build();
    SnsAction notify = new SnsAction(alarmTopic);

    this.memoryAlarm =
        Alarm.Builder.create(this, "MemoryHigh")
            .alarmDescription(
                "A compaction worker used more than "
                    + (int) MEMORY_ALARM_PERCENT
                    + "% of its container memory for 2 minutes.")
            .metric(workers.metricMemoryUsagePercent(Duration.minutes(1)))
            .threshold(MEMORY_ALARM_PERCENT)
            .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
            .evaluationPeriods(2)
            .treatMissingData(TreatMissingData.NOT_BREACHING)
            .build();
    MetricOptions fiveMinuteSum =
        MetricOptions.builder().period(Duration.minutes(5)).statistic("Sum").build();
    this.failedExecutionsAlarm =
        Alarm.Builder.create(this, "ExecutionsFailed")
            .alarmDescription("A compaction execution failed.")
            .metric(workflow.metricExecutionsFailed(fiveMinuteSum))
            .threshold(1)
            .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
            .evaluationPeriods(1)
            .treatMissingData(TreatMissingData.NOT_BREACHING)
            .build();
    this.timedOutExecutionsAlarm =
        Alarm.Builder.create(this, "ExecutionsTimedOut")
            .alarmDescription("A compaction execution timed out.")
            .metric(workflow.metricExecutionsTimedOut(fiveMinuteSum))
            .threshold(1)
            .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
            .evaluationPeriods(1)
            .treatMissingData(TreatMissingData.NOT_BREACHING)
            .build();
    this.quarantineAlarm =
        Alarm.Builder.create(this, "DeltasQuarantined")
            .alarmDescription(
                "A delta could not be compacted and was recorded under quarantine/ with its reason.")
            .metric(workers.metricDeltasQuarantined(Duration.minutes(5)))
            .threshold(1)
            .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
            .evaluationPeriods(1)
            .treatMissingData(TreatMissingData.NOT_BREACHING)
            .build();
    this.waitingAlarm =
        Alarm.Builder.create(this, "DeltaWaitingTooLong")
            .alarmDescription(
                "A delta has been waiting (incomplete: unmarked and still changing, or its marker's"
                    + " files not all there) for more than "
                    + waitingAlarmAfter.toHumanString()
                    + "; past the incomplete-upload limit it is quarantined as INCOMPLETE_UPLOAD.")
            .metric(workers.metricOldestWaitingDeltaSeconds(Duration.minutes(5)))
            .threshold(waitingAlarmAfter.toSeconds())
            .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
            .evaluationPeriods(1)
            .treatMissingData(TreatMissingData.NOT_BREACHING)
            .build();
    this.gcFailedAlarm =
        Alarm.Builder.create(this, "GarbageCollectionFailed")
            .alarmDescription(
                "The CollectGarbage step failed after its retries. The run's batch is published (a"
                    + " failed GC fails none); the execution's output holds the error at $.gc. Old snapshots and"
                    + " consumed deltas stay until a collection succeeds.")
            .metric(workers.metricGcFailures(Duration.minutes(5)))
            .threshold(1)
            .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
            .evaluationPeriods(1)
            .treatMissingData(TreatMissingData.NOT_BREACHING)
            .build();
    for (Alarm alarm :
        List.of(
            memoryAlarm,
            failedExecutionsAlarm,
            timedOutExecutionsAlarm,
            quarantineAlarm,
            waitingAlarm,
            gcFailedAlarm)) {
      alarm.addAlarmAction(notify);
    }

    Duration minute = Duration.minutes(1);
    Duration hour = Duration.hours(1);
    this.dashboard = Dashboard.Builder.create(this, "Dashboard").build();
    dashboard.addWidgets(
        GraphWidget.Builder.create()
            .title("Worker memory (% of container limit)")
            .width(12)
            .left(List.of(workers.metricMemoryUsagePercent(minute)))
            .leftAnnotations(
                List.of(
                    HorizontalAnnotation.builder()
                        .value(MEMORY_ALARM_PERCENT)
                        .label("alarm")
                        .build()))
            .build(),
        GraphWidget.Builder.create()
            .title("Executions")
            .width(12)
            .left(
                List.of(
                    workflow.metricExecutionsStarted(fiveMinuteSum),
                    workflow.metricExecutionsSucceeded(fiveMinuteSum),
                    workflow.metricExecutionsFailed(fiveMinuteSum),
                    workflow.metricExecutionsTimedOut(fiveMinuteSum)))
            .build());
    dashboard.addWidgets(
        GraphWidget.Builder.create()
            .title("DeltaProcessingMs")
            .width(12)
            .left(List.of(workers.metricDeltaProcessingMs(minute)))
            .build(),
        GraphWidget.Builder.create()
            .title("EmbeddingsPerSecond")
            .width(12)
            .left(List.of(workers.metricEmbeddingsPerSecond(minute)))
            .build());
    dashboard.addWidgets(
        GraphWidget.Builder.create()
            .title("Activity backlog and worker CPU")
            .width(12)
            .left(List.of(workflow.metricActivityBacklog(minute)))
            .right(List.of(workers.metricCpuUtilization(minute)))
            .build(),
        AlarmStatusWidget.Builder.create()
            .title("Alarms")
            .width(12)
            .alarms(
                List.<IAlarm>of(
                    memoryAlarm,
                    failedExecutionsAlarm,
                    timedOutExecutionsAlarm,
                    quarantineAlarm,
                    waitingAlarm,
                    gcFailedAlarm))
            .build());
    dashboard.addWidgets(
        GraphWidget.Builder.create()
            .title("Deltas waiting (still uploading) and the oldest's age")
            .width(12)
            .left(List.of(workers.metricWaitingDeltas(Duration.minutes(5))))
            .right(List.of(workers.metricOldestWaitingDeltaSeconds(Duration.minutes(5))))
            .rightAnnotations(
                List.of(
                    HorizontalAnnotation.builder()
                        .value(waitingAlarmAfter.toSeconds())
                        .label("alarm")
                        .build()))
            .build(),
        // Figures of the CollectGarbage step, one line per lineage: it lists these keys anyway, and
        // S3's own
        // storage metrics come once a day per bucket, with no figure per prefix.
        GraphWidget.Builder.create()
            .title(
                "Pending deltas (not consumed, not quarantined) and the oldest's age, per lineage")
            .width(12)
            .left(List.of(workers.metricPerLineage(MetricNames.PENDING_DELTAS, "Maximum", hour)))
            .right(
                List.of(
                    workers.metricPerLineage(
                        MetricNames.OLDEST_PENDING_DELTA_SECONDS, "Maximum", hour)))
            .build());
    dashboard.addWidgets(
        GraphWidget.Builder.create()
            .title("Bucket bytes under snapshots/ and deltas/, per lineage")
            .width(12)
            .left(List.of(workers.metricPerLineage(MetricNames.SNAPSHOT_BYTES, "Maximum", hour)))
            .right(List.of(workers.metricPerLineage(MetricNames.DELTA_BYTES, "Maximum", hour)))
            .build(),
        GraphWidget.Builder.create()
            .title("Garbage collection: bytes freed, and failures")
            .width(12)
            .left(List.of(workers.metricPerLineage(MetricNames.GC_BYTES_FREED, "Sum", hour)))
            .right(List.of(workers.metricGcFailures(hour)))
            .build());
  }

  public Topic getAlarmTopic() {
    return alarmTopic;
  }

  public Alarm getMemoryAlarm() {
    return memoryAlarm;
  }

  public Alarm getFailedExecutionsAlarm() {
    return failedExecutionsAlarm;
  }

  public Alarm getQuarantineAlarm() {
    return quarantineAlarm;
  }

  public Alarm getTimedOutExecutionsAlarm() {
    return timedOutExecutionsAlarm;
  }

  public Alarm getWaitingAlarm() {
    return waitingAlarm;
  }

  public Alarm getGcFailedAlarm() {
    return gcFailedAlarm;
  }

  public Dashboard getDashboard() {
    return dashboard;
  }
}
