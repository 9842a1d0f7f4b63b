/**
 * {@link com.chromacompactor.invariant.InvariantViolation}: the one type for a broken invariant of
 * the compactor, in a package with no dependencies so that every layer may throw it.
 */
package com.chromacompactor.invariant;
