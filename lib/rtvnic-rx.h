/*
 * Copyright (c) 2026 RTvNIC authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#ifndef RTVNIC_RX_H
#define RTVNIC_RX_H 1

/* Receiver-side delay statistics, per (sender IP, vnic_id).
 *
 * For every RTvNIC wire stamp a receiving switch pops, it records the one-way
 * delay (receive time minus the stamp's arrival time, both wall clock), split
 * into the host part (the stamp's departure delta: queueing in the sending
 * switch) and the network part (the rest); a miss when the delay exceeds the
 * stamp's deadline, and by how much; losses as gaps in the sequence numbers;
 * delays below zero (clock skew) apart; and malformed stamps ("bad_stamp").
 * Delays go into a log-linear histogram (16 buckets per octave) for
 * percentiles.
 *
 * Thread safe: datapath threads record, the main thread shows. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ds;
struct in6_addr;
struct rtvnic_beat_entry;
struct rtvnic_report;
struct rtvnic_stamp;

void rtvnic_rx_record(const struct in6_addr *sender,
                      const struct rtvnic_stamp *, uint64_t now_wall_ns);
void rtvnic_rx_record_bad(const struct in6_addr *sender, uint16_t vnic_id);

size_t rtvnic_rx_take_reports(struct rtvnic_report **, uint32_t interval_us);
size_t rtvnic_rx_take_heartbeat(struct rtvnic_beat_entry **);
bool rtvnic_rx_is_empty(void);

void rtvnic_rx_format(struct ds *);
void rtvnic_rx_format_json(struct ds *);
void rtvnic_rx_clear(void);

#endif /* rtvnic-rx.h */
