package com.chromacompactor.storage;

import java.io.IOException;

/**
 * A storage failure that may pass when the transfer is made again, such as a downloaded folder
 * whose files differ from the manifest written with them. The activity runtime retries it as {@code
 * Storage.Transient}, as it does an AWS call that kept failing ({@code
 * Resilience.TransientAwsException}); any other {@link IOException} is not retried.
 */
public class TransientStorageException extends IOException {
  public TransientStorageException(String message) {
    super(message);
  }

  public TransientStorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
