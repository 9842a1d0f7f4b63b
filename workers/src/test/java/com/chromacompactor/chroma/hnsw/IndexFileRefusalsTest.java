package com.chromacompactor.chroma.hnsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every refusal of the index file readers, on bad bytes in memory: the exception type, the file it
 * names and what it says was expected and found (as Lucene's TestCodecUtil tests its header
 * checks).
 */
class IndexFileRefusalsTest {
  private static final String HEADER = "seg/header.bin";
  private static final int DIM = 4;
  private static final int M = 4;

  /** A valid header: M 4 (maxM0 8), dimension 4, 10 of 16 elements, entry point 3 at level 2. */
  private static ByteBuffer header(Consumer<ByteBuffer> change) {
    ByteBuffer b =
        ByteBuffer.allocate(HnswSegmentFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    long offsetData = HnswSegmentFormat.offsetData(2 * M);
    b.putInt(0, HnswSegmentFormat.PERSISTENCE_VERSION);
    b.putLong(4, 0);
    b.putLong(12, 16);
    b.putLong(20, 10);
    b.putLong(28, HnswSegmentFormat.elementSize(2 * M, DIM));
    b.putLong(36, HnswSegmentFormat.labelOffset(2 * M, DIM));
    b.putLong(44, offsetData);
    b.putInt(52, 2);
    b.putInt(56, 3);
    b.putLong(60, M);
    b.putLong(68, 2 * M);
    b.putLong(76, M);
    b.putDouble(84, 1 / Math.log(M));
    b.putLong(92, 100);
    change.accept(b);
    return b;
  }

  private static String refusal(ByteBuffer bytes) {
    CorruptIndexException e =
        assertThrows(CorruptIndexException.class, () -> HnswHeader.parse(bytes, HEADER));
    assertEquals(HEADER, e.resource());
    return e.getMessage();
  }

  @Test
  void aValidHeaderParsesWithItsDerivedFields() throws Exception {
    HnswHeader h = HnswHeader.parse(header(b -> {}), HEADER);
    assertEquals(DIM, h.dimension());
    assertEquals(10, h.elementCount());
    assertEquals(4 + 4 * 8 + 4 * DIM + 8, h.sizeDataPerElement());
  }

  @Test
  void headerShorterThan100Bytes() {
    assertEquals(
        HEADER + ": truncated: expected 100 bytes, found 60", refusal(header(b -> {}).limit(60)));
  }

  @Test
  void headerOfAnotherPersistenceVersion() {
    assertEquals(
        HEADER + ": PERSISTENCE_VERSION expected 1, found 2", refusal(header(b -> b.putInt(0, 2))));
  }

  @Test
  void headerWithALevel0Offset() {
    assertEquals(
        HEADER + ": offsetLevel0 expected 0, found 8", refusal(header(b -> b.putLong(4, 8))));
  }

  @Test
  void headerWithoutNeighbourCounts() {
    assertEquals(
        HEADER + ": maxM 4 and maxM0 0 are not neighbour counts",
        refusal(header(b -> b.putLong(68, 0))));
  }

  @Test
  void headerWhoseDataOffsetDisagreesWithMaxM0() {
    assertEquals(
        HEADER + ": offsetData expected 36, found 40", refusal(header(b -> b.putLong(44, 40))));
  }

  @Test
  void headerWhoseLabelOffsetIsNotWholeFloatsAfterTheData() {
    assertEquals(
        HEADER + ": label_offset 54 does not follow offsetData 36 by whole floats",
        refusal(header(b -> b.putLong(36, 54))));
  }

  @Test
  void headerWhoseElementSizeDisagrees() {
    assertEquals(
        HEADER + ": size_data_per_element expected 60, found 64",
        refusal(header(b -> b.putLong(28, 64))));
  }

  @Test
  void headerWithMoreElementsThanCapacity() {
    assertEquals(
        HEADER + ": cur_element_count 17 outside 0..16", refusal(header(b -> b.putLong(20, 17))));
  }

  @Test
  void headerWhoseEntryPointIsNotAnElement() {
    assertEquals(
        HEADER + ": enterpoint_node 10 outside 0..9", refusal(header(b -> b.putInt(56, 10))));
    assertEquals(
        HEADER + ": enterpoint_node 4294967295 outside 0..9",
        refusal(header(b -> b.putInt(56, -1))));
  }

  // ---------------------------------------------------------------- link_lists.bin

  private static final String LINKS = "seg/link_lists.bin";

  /** Element 0 at level 0, element 1 with one level of {@code count} neighbours {@code ids}. */
  private static byte[] links(int size, int count, int... ids) {
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0);
    b.putInt(size);
    b.putShort((short) count).putShort((short) 0);
    for (int j = 0; j < M; j++) {
      b.putInt(j < ids.length ? ids[j] : 0);
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  private static String linkRefusal(byte[] bytes, int elements) {
    CorruptIndexException e =
        assertThrows(
            CorruptIndexException.class,
            () ->
                UpperLevels.read(
                    new ByteArrayInputStream(bytes), LINKS, elements, M, (n, l, a) -> {}));
    assertEquals(LINKS, e.resource());
    return e.getMessage();
  }

  @Test
  void linkListsOfTwoElementsReadLevelByLevel() throws Exception {
    List<String> seen = new ArrayList<>();
    UpperLevels.read(
        new ByteArrayInputStream(links(20, 2, 0, 1)),
        LINKS,
        2,
        M,
        (node, levels, a) -> seen.add(node + ":" + levels + ":" + Arrays.toString(a)));
    assertEquals(List.of("0:0:[]", "1:1:[2, 0, 1, 0, 0]"), seen);
  }

  @Test
  void linkListSizeThatIsNotWholeLevels() {
    assertEquals(
        LINKS + ": element 1: link list size 21 is not a whole number of 20-byte levels",
        linkRefusal(links(21, 2, 0, 1), 2));
  }

  @Test
  void linkListsThatEndEarly() {
    assertEquals(
        LINKS + ": truncated: the link lists of 3 elements end within element 2",
        linkRefusal(links(20, 2, 0, 1), 3));
  }

  @Test
  void linkListWithMoreNeighboursThanMaxM() {
    assertEquals(
        LINKS + ": element 1 level 1: 5 neighbours, more than maxM 4",
        linkRefusal(links(20, 5, 0, 1), 2));
  }

  @Test
  void linkListNamingAnElementThatDoesNotExist() {
    assertEquals(
        LINKS + ": element 1 level 1: neighbour 7 outside 0..1",
        linkRefusal(links(20, 2, 0, 7), 2));
  }

  // ---------------------------------------------------------------- index_metadata.pickle

  private static final String PICKLE = "seg/index_metadata.pickle";

  /**
   * A protocol 3 pickle of one dict {@code {key: {k: v}}} with BININT1 ints and BINUNICODE strings.
   */
  private static byte[] pickle(String key, Object k, Object v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x80);
    out.write(3);
    out.write('}');
    out.write('(');
    string(out, key);
    out.write('}');
    out.write('(');
    value(out, k);
    value(out, v);
    out.write('u');
    out.write('u');
    out.write('.');
    return out.toByteArray();
  }

  private static void value(ByteArrayOutputStream out, Object o) {
    if (o instanceof Integer i) {
      out.write('K');
      out.write(i);
    } else {
      string(out, (String) o);
    }
  }

  private static void string(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write('X');
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
    out.writeBytes(b);
  }

  private static String pickleRefusal(byte[] bytes) {
    CorruptIndexException e =
        assertThrows(
            CorruptIndexException.class,
            () -> IdLabelMap.parse(new ByteArrayInputStream(bytes), PICKLE));
    assertEquals(PICKLE, e.resource());
    return e.getMessage();
  }

  @Test
  void pickleOfBothDirectionsReadsTheSameMap() throws Exception {
    assertEquals(
        Map.of(1L, "a"),
        IdLabelMap.parse(new ByteArrayInputStream(pickle("label_to_id", 1, "a")), PICKLE)
            .labelToId());
    assertEquals(
        Map.of(1L, "a"),
        IdLabelMap.parse(new ByteArrayInputStream(pickle("id_to_label", "a", 1)), PICKLE)
            .labelToId());
  }

  @Test
  void bytesThatAreNotAPickle() {
    String m = pickleRefusal("not a pickle".getBytes(StandardCharsets.US_ASCII));
    assertEquals(
        PICKLE + ": not a readable pickle: ",
        m.substring(0, (PICKLE + ": not a readable pickle: ").length()));
  }

  @Test
  void pickleOfAListRatherThanAMap() {
    assertEquals(
        PICKLE + ": expected a dict or PersistentData object, found ArrayList",
        pickleRefusal(new byte[] {(byte) 0x80, 3, ']', '.'}));
  }

  @Test
  void pickleWithNeitherMap() {
    assertEquals(
        PICKLE + ": has neither label_to_id nor id_to_label",
        pickleRefusal(pickle("other", 1, "a")));
  }

  @Test
  void pickleWhoseLabelIsNotAnInteger() {
    assertEquals(
        PICKLE + ": label is not an integer: x", pickleRefusal(pickle("label_to_id", "x", "a")));
  }

  @Test
  void pickleWhoseUserIdIsNotAString() {
    assertEquals(
        PICKLE + ": user id is not a string: 2", pickleRefusal(pickle("label_to_id", 1, 2)));
  }
}
