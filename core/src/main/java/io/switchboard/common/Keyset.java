package io.switchboard.common;

import java.time.Instant;
import java.util.UUID;
import java.util.function.Function;

import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.RecordMapper;
import org.jooq.Table;
import org.jooq.TableField;
import org.jooq.impl.DSL;

/**
 * Keyset pagination over (created_at, id): stable under concurrent inserts, and each page costs one
 * index range scan however deep the client pages.
 */
public final class Keyset {

    private Keyset() {
    }

    public static <R extends Record, T> Page<T> page(DSLContext dsl, Table<R> table, Condition where,
                                                     TableField<R, Instant> createdAt, TableField<R, UUID> id,
                                                     PageRequest page, String scope, RecordMapper<R, T> mapper,
                                                     Function<T, PageRequest.Cursor> cursorOf) {
        Condition c = where;
        if (page.after().isPresent()) {
            PageRequest.Cursor after = page.after().get();
            c = c.and(DSL.row(createdAt, id).gt(after.createdAt(), after.id()));
        }
        var rows = dsl.selectFrom(table).where(c).orderBy(createdAt, id).limit(page.pageSize() + 1).fetch(mapper);
        return Page.of(rows, page.pageSize(), cursorOf, scope);
    }
}
