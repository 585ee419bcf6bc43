/* The baseline: a plain C loop of prepared single-row SELECTs over libpq, the same
 * statement, formats and socket as the Swift benchmark. Prints round trips per second.
 *   pq_loop CONNINFO SECONDS */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: pq_loop CONNINFO SECONDS\n"); return 2; }
    PGconn *conn = PQconnectdb(argv[1]);
    if (PQstatus(conn) != CONNECTION_OK) { fprintf(stderr, "%s", PQerrorMessage(conn)); return 1; }
    Oid types[1] = {20};
    PGresult *prepared = PQprepare(conn, "s", "SELECT $1::int8 AS n", 1, types);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) { fprintf(stderr, "%s", PQerrorMessage(conn)); return 1; }
    PQclear(prepared);
    double seconds = atof(argv[2]), start = now(), end = start + seconds;
    long count = 0;
    int64_t sum = 0;
    while (now() < end) {
        uint64_t value = (uint64_t)count;
        uint32_t high = htonl((uint32_t)(value >> 32)), low = htonl((uint32_t)value);
        char buffer[8];
        memcpy(buffer, &high, 4);
        memcpy(buffer + 4, &low, 4);
        const char *values[1] = {buffer};
        int lengths[1] = {8}, formats[1] = {1};
        PGresult *result = PQexecPrepared(conn, "s", 1, values, lengths, formats, 1);
        if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) != 1) {
            fprintf(stderr, "%s", PQerrorMessage(conn));
            return 1;
        }
        uint32_t h, l;
        memcpy(&h, PQgetvalue(result, 0, 0), 4);
        memcpy(&l, PQgetvalue(result, 0, 0) + 4, 4);
        sum += ((int64_t)ntohl(h) << 32) | ntohl(l);
        PQclear(result);
        count++;
    }
    double elapsed = now() - start;
    if (sum != (int64_t)count * (count - 1) / 2) { fprintf(stderr, "wrong results\n"); return 1; }
    printf("%.0f\n", count / elapsed);
    PQfinish(conn);
    return 0;
}
