package io.switchboard.common;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** One page of a listing, with the token for the next page if there is one. */
public record Page<T>(List<T> items, Optional<String> nextPageToken) {

    public <R> Page<R> map(Function<T, R> f) {
        return new Page<>(items.stream().map(f).toList(), nextPageToken);
    }

    /**
     * Builds a page from rows fetched with {@code limit = pageSize + 1}: the extra row only says that
     * another page exists.
     */
    public static <T> Page<T> of(List<T> fetched, int pageSize, Function<T, PageRequest.Cursor> cursorOf,
                                 String scope) {
        if (fetched.size() <= pageSize) {
            return new Page<>(List.copyOf(fetched), Optional.empty());
        }
        List<T> items = List.copyOf(fetched.subList(0, pageSize));
        return new Page<>(items, Optional.of(PageRequest.token(cursorOf.apply(items.getLast()), scope)));
    }
}
