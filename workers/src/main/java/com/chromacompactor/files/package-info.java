/**
 * Local file trees: the one tree delete that the activity runtime, the snapshot writers, the CLI
 * and the tests use. It depends on nothing of the compactor, so every layer may use it.
 */
package com.chromacompactor.files;
