package io.switchboard.app.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;

/**
 * What a command prints: with {@code --json}, the API's own answer in the protobuf JSON mapping (field names
 * as in the .proto, so scripts can use the same names as the API reference); otherwise a table or a few
 * lines for people.
 */
final class Output {

    private static final JsonFormat.Printer JSON = JsonFormat.printer().preservingProtoFieldNames();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

    private final PrintStream out;
    private final boolean json;

    Output(PrintStream out, boolean json) {
        this.out = out;
        this.json = json;
    }

    boolean json() {
        return json;
    }

    /** One answer: JSON, or the lines {@code human} makes of it. */
    <M extends MessageOrBuilder> void one(M message, Function<M, String> human) {
        if (json) {
            out.println(toJson(message));
        } else {
            out.println(human.apply(message));
        }
    }

    /** Rows of a list: a JSON array, or a table of the given columns. */
    <M extends MessageOrBuilder> void table(List<M> rows, List<Column<M>> columns) {
        if (json) {
            array(rows);
            return;
        }
        List<String[]> cells = new ArrayList<>();
        cells.add(columns.stream().map(Column::header).toArray(String[]::new));
        for (M r : rows) {
            cells.add(columns.stream().map(c -> oneLine(c.value().apply(r))).toArray(String[]::new));
        }
        int[] width = new int[columns.size()];
        for (String[] row : cells) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + width[i] + "s  ", row[i]));
            }
            out.println(line.toString().stripTrailing());
        }
        if (rows.isEmpty()) {
            out.println("(none)");
        }
    }

    /** Messages as one JSON array. */
    void array(List<? extends MessageOrBuilder> rows) {
        out.println("[" + String.join(",\n", rows.stream().map(Output::toJson).toList()) + "]");
    }

    record Column<M>(String header, Function<M, String> value) {
    }

    static <M> Column<M> col(String header, Function<M, String> value) {
        return new Column<>(header, value);
    }

    static String toJson(MessageOrBuilder m) {
        try {
            return JSON.print(m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print " + m.getClass().getSimpleName() + " as JSON", e);
        }
    }

    static String time(Timestamp t) {
        return t.getSeconds() == 0 && t.getNanos() == 0 ? "" : TIME.format(Instant.ofEpochSecond(t.getSeconds(), t.getNanos()));
    }

    /** {@code 01:02.3}: minutes, seconds and tenths of a call offset. */
    static String offset(com.google.protobuf.Duration d) {
        long tenths = d.getSeconds() * 10 + d.getNanos() / 100_000_000;
        return String.format("%02d:%02d.%d", tenths / 600, tenths / 10 % 60, tenths % 10);
    }

    /** An enum value without its type prefix, lower case: {@code STATE_RUNNING} → {@code running}. */
    static String name(Enum<?> e) {
        String n = e.name();
        int underscore = n.indexOf('_');
        return (underscore < 0 ? n : n.substring(underscore + 1)).toLowerCase(java.util.Locale.ROOT);
    }

    private static String oneLine(String s) {
        String flat = s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
        return flat.length() > 60 ? flat.substring(0, 59) + "…" : flat;
    }
}
