// SPDX-License-Identifier: MIT
/*
 * Plans (plan.h): made once per list of ids in the process, read-only
 * from then on, run as a straight loop over batches.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "one_reg_batch.h"
#include "plan.h"

/* ------------------------------------------------------------------ */
/* Making a plan                                                        */

/* The ioctl group of id in a plan of kind: a read may group otherwise
 * than a write (x86 MCG_CAP: read with the MSRs, written by its own ioctl). */
static uint32_t group_of(const struct kvmreg_plan *p, uint64_t id)
{
	const struct kvmreg_group_ops *g = p->driver->groups;

	if (!g || !g->group_of)
		return 0;
	if (p->kind == KVMREG_PLAN_READ && g->read_group_of)
		return g->read_group_of(id);
	return g->group_of(id);
}

static void plan_free(struct kvmreg_plan *p)
{
	if (!p)
		return;
	for (size_t b = 0; p->batch && b < p->batches; b++)
		free(p->batch[b].memo);
	free(p->key);
	free(p->order);
	free(p->ids);
	free(p->batch);
	free(p->segment_end);
	free(p->step);
	free(p->offset);
	kvmreg_state_layout_put(p->layout);
	kvmreg_state_layout_put(atomic_load(&p->restores_layout));
	free(p);
}

/*
 * Place key[idx[from..to)] as the next segment: its ids batched by group,
 * groups in the order of their first id, each ONE_REG id a batch of its
 * own. slot and fill are scratch of n + 1 entries.
 */
static void add_segment(struct kvmreg_plan *p, const size_t *idx, size_t from,
			size_t to, size_t *slot, size_t *fill, size_t *filled)
{
	size_t first_batch = p->batches, last = SIZE_MAX;

	for (size_t k = from; k < to; k++) {
		uint32_t group = group_of(p, p->key[idx[k]]);
		size_t b = SIZE_MAX;

		/* Neighbouring ids mostly share a group: the last hit first. */
		if (group && last != SIZE_MAX && p->batch[last].group == group)
			b = last;
		for (size_t c = first_batch; group && b == SIZE_MAX &&
					     c < p->batches; c++)
			if (p->batch[c].group == group)
				b = c;
		if (b == SIZE_MAX) {
			b = p->batches++;
			p->batch[b].group = group;
			fill[b] = 0;
		}
		last = b;
		slot[k - from] = b;
		fill[b]++;
	}
	/* fill[b]: its size, then its next free position */
	for (size_t b = first_batch, pos = *filled; b < p->batches; b++) {
		size_t size = fill[b];

		p->batch[b].first = pos;
		fill[b] = pos;
		pos += size;
	}
	for (size_t k = from; k < to; k++) {
		size_t pos = fill[slot[k - from]]++;

		p->order[pos] = idx[k];
		p->ids[pos] = p->key[idx[k]];
		if (p->step)
			p->step[pos] = k;
	}
	*filled += to - from;
	p->batch[p->batches].first = *filled;
	p->segment_end[p->segments++] = p->batches;
}

/*
 * The key indices in restore order: a stable counting sort by rank (ranks
 * are small numbers), or a stable insertion into place where a driver's
 * ranks spread wide.
 */
#define RANK_SPAN_COUNTED 1024

static int restore_order(const struct kvmreg_plan *p, int *rank, size_t *idx)
{
	const struct kvmreg_arch_driver *d = p->driver;
	size_t n = p->n, *start;
	int lo = 0, hi = 0;

	for (size_t i = 0; i < n; i++) {
		rank[i] = d->restore_rank ? d->restore_rank(p->key[i]) : 0;
		lo = i && lo < rank[i] ? lo : rank[i];
		hi = i && hi > rank[i] ? hi : rank[i];
	}
	if ((long)hi - lo >= RANK_SPAN_COUNTED) {
		for (size_t i = 0; i < n; i++) {
			size_t at = i;

			for (; at > 0 && rank[idx[at - 1]] > rank[i]; at--)
				idx[at] = idx[at - 1];
			idx[at] = i;
		}
		return 0;
	}
	start = calloc((size_t)(hi - lo) + 2, sizeof(*start));
	if (!start)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		start[rank[i] - lo + 1]++;
	for (int k = 1; k <= hi - lo + 1; k++)
		start[k] += start[k - 1];
	for (size_t i = 0; i < n; i++)
		idx[start[rank[i] - lo]++] = i;
	free(start);
	return 0;
}

/*
 * The end of the restore segment that starts at start (in restore order):
 * its rank, and the ranks after it too while every register of the
 * segment is in one group whose ioctl applies registers in the order given
 * (x86 KVM_SET_MSRS): then one call keeps the order that separate ranks
 * would (IA32_TSC before IA32_TSC_DEADLINE) for one ioctl, not several.
 */
static size_t rank_segment_end(const struct kvmreg_plan *p, const int *rank,
			       const size_t *idx, size_t start)
{
	const struct kvmreg_group_ops *g = p->driver->groups;
	uint32_t key = group_of(p, p->key[idx[start]]);
	int ordered = key && g->in_order && g->in_order(key);
	size_t end = start + 1, n = p->n;

#define RANK(k) rank[idx[k]]
#define GROUP(k) group_of(p, p->key[idx[k]])
	for (; end < n; end++) {
		if (RANK(end) == RANK(end - 1)) {
			if (ordered && GROUP(end) != key)
				ordered = 0;	/* a second group: ranks stay apart */
			continue;
		}
		if (!ordered)
			break;
		/* A new rank joins only if it is all the same group. */
		size_t next = end;

		while (next < n && RANK(next) == RANK(end) && GROUP(next) == key)
			next++;
		if (next < n && RANK(next) == RANK(end))
			break;
		end = next - 1;
	}
#undef RANK
#undef GROUP
	return end;
}

/*
 * A READ plan's values: each batch whose ioctl struct the driver can lay
 * its values out in (group_ops.image_layout) gets that struct in the
 * state, the values at their places in it, so a save hands the kernel
 * the state itself; the other batches' values are packed between.
 */
static void place_images(struct kvmreg_plan *p)
{
	const struct kvmreg_group_ops *g = p->driver->groups;
	size_t at = 0;

	for (size_t b = 0; b < p->batches; b++) {
		struct kvmreg_plan_batch *bp = &p->batch[b];
		size_t pos = bp->first, count = bp[1].first - pos, image = 0;

		bp->image = KVMREG_PLAN_NO_IMAGE;
		if (bp->group && g && g->image_layout)
			image = g->image_layout(bp->group, count, bp->memo,
						p->offset + pos);
		if (image) {
			/* 8-aligned, as the kernel's structs are */
			at = (at + 7) & ~(size_t)7;
			bp->image = at;
			for (size_t i = pos; i < pos + count; i++)
				p->offset[i] += at;
			at += image;
			continue;
		}
		for (size_t i = pos; i < pos + count; i++) {
			p->offset[i] = at;
			at += kvmreg_size_of(p->ids[i]);
		}
	}
	p->value_bytes = at;
}

static uint64_t ids_hash(const void *ids, size_t stride, size_t n);

/* The layout's table of the structs place_images put in the values. */
static int layout_images(struct kvmreg_plan *p)
{
	struct kvmreg_state_layout *l = p->layout;

	for (size_t b = 0; b < p->batches; b++) {
		const struct kvmreg_plan_batch *bp = &p->batch[b];
		struct kvmreg_state_image *images;

		if (bp->image == KVMREG_PLAN_NO_IMAGE)
			continue;
		images = realloc(l->images, (l->image_count + 1) * sizeof(*images));
		if (!images)
			return -ENOMEM;
		l->images = images;
		l->images[l->image_count++] = (struct kvmreg_state_image){
			bp->group, bp->image };
	}
	return 0;
}

static struct kvmreg_plan *plan_make(struct kvmreg_vcpu *vcpu,
				     enum kvmreg_plan_kind kind,
				     const void *ids, size_t stride, size_t n)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;
	struct kvmreg_plan *p = calloc(1, sizeof(*p));
	size_t *idx = NULL, *slot = NULL, *fill = NULL, *by_key = NULL;
	size_t filled = 0;
	int *rank = NULL, err = -ENOMEM;
	const uint8_t *at = ids;

	if (!p)
		goto out;
	p->kind = kind;
	p->driver = d;
	p->n = n;
	p->key = malloc((n + 1) * sizeof(*p->key));
	p->order = malloc((n + 1) * sizeof(*p->order));
	p->ids = malloc((n + 1) * sizeof(*p->ids));
	/* Zeroed: plan_free() frees every batch's memo, and only the
	 * driver's prepare() sets one (none for ONE_REG batches, none at all
	 * on arm64 and riscv64). */
	p->batch = calloc(n + 2, sizeof(*p->batch));
	p->segment_end = malloc((n + 1) * sizeof(*p->segment_end));
	p->offset = malloc((n + 1) * sizeof(*p->offset));
	idx = malloc((n + 1) * sizeof(*idx));
	slot = malloc((n + 1) * sizeof(*slot));
	fill = malloc((n + 1) * sizeof(*fill));
	if (kind == KVMREG_PLAN_RESTORE) {
		p->step = malloc((n + 1) * sizeof(*p->step));
		rank = malloc((n + 1) * sizeof(*rank));
	}
	if (!p->key || !p->order || !p->ids || !p->batch || !p->segment_end ||
	    !p->offset || !idx || !slot || !fill ||
	    (kind == KVMREG_PLAN_RESTORE && (!p->step || !rank)))
		goto out;
	for (size_t i = 0; i < n; i++, at += stride) {
		memcpy(&p->key[i], at, sizeof(p->key[i]));
		idx[i] = i;
	}
	p->batch[0].first = 0;
	if (kind != KVMREG_PLAN_RESTORE) {
		add_segment(p, idx, 0, n, slot, fill, &filled);
	} else {
		err = restore_order(p, rank, idx);
		if (err)
			goto out;
		for (size_t start = 0, end; start < n; start = end) {
			end = rank_segment_end(p, rank, idx, start);
			add_segment(p, idx, start, end, slot, fill, &filled);
		}
	}
	for (size_t pos = 0; pos < n; pos++) {
		int change = d->list_changed_by ? d->list_changed_by(p->ids[pos]) :
						  KVMREG_LIST_KEPT;

		if (change > p->list_change)
			p->list_change = change;
		p->offset[pos] = p->value_bytes;
		p->value_bytes += kvmreg_size_of(p->ids[pos]);
	}
	for (size_t b = 0; d->groups && d->groups->prepare && b < p->batches; b++) {
		const struct kvmreg_plan_batch *bp = &p->batch[b];

		if (bp->group)
			p->batch[b].memo = d->groups->prepare(
				vcpu, bp->group, bp[1].first - bp->first,
				p->ids + bp->first);
	}
	if (kind == KVMREG_PLAN_READ)
		place_images(p);
	if (kind == KVMREG_PLAN_READ && n) {
		/* A state of these ids: entries in key order, each value where
		 * its position puts it. */
		by_key = malloc((n + 1) * sizeof(*by_key));
		if (!by_key)
			goto out;
		for (size_t pos = 0; pos < n; pos++)
			by_key[p->order[pos]] = p->offset[pos];
		err = kvmreg_state_layout_make(p->key, by_key, n, p->value_bytes,
					       &p->layout);
		if (err && err != -EEXIST)
			goto out;
		if (!err) {
			p->layout->ids_hash = ids_hash(p->key, sizeof(*p->key), n);
			err = layout_images(p);
			if (err)
				goto out;
		}
	}
	err = 0;
	atomic_init(&p->refs, 1);
out:
	free(idx);
	free(slot);
	free(fill);
	free(rank);
	free(by_key);
	if (err) {
		plan_free(p);
		if (err == -ENOMEM)
			kvmreg_set_error(-ENOMEM, "out of memory");
		return NULL;
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* The process's plans                                                  */

/* Lists this short are planned per call: one kvmreg_get must not push a
 * whole list's plan out of the cache. */
#define PLAN_MIN_CACHED 4
#define PLAN_CACHE 16

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kvmreg_plan *cache[PLAN_CACHE];
/* cache[i]->hash, beside the pointers: a lookup reads one cache line
 * where it would read each plan's */
static uint64_t cache_hash[PLAN_CACHE];
static unsigned int cache_next;

/* A hash of n and at most 32 ids spread over the list: enough to tell the
 * cache's few lists apart before same_ids() decides, at a fraction of a
 * pass over every id (a new vCPU's restore pays this lookup). */
static uint64_t ids_hash(const void *ids, size_t stride, size_t n)
{
	const uint8_t *at = ids;
	size_t step = n > 32 ? n / 32 : 1;
	uint64_t h = 0xcbf29ce484222325ULL ^ n;

	for (size_t i = 0; i < n; i += step) {
		uint64_t id;

		memcpy(&id, at + i * stride, sizeof(id));
		h = (h ^ id) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

static int same_ids(const uint64_t *key, const void *ids, size_t stride,
		    size_t n)
{
	const uint8_t *at = ids;

	if (stride == sizeof(*key))
		return !memcmp(key, ids, n * sizeof(*key));
	for (size_t i = 0; i < n; i++, at += stride) {
		uint64_t id;

		memcpy(&id, at, sizeof(id));
		if (id != key[i])
			return 0;
	}
	return 1;
}

/* The cached plan of these ids; ids NULL: of any ids with this hash and
 * count (kvmreg_plan_likely). */
static struct kvmreg_plan *cache_find(const struct kvmreg_arch_driver *d,
				      enum kvmreg_plan_kind kind, uint64_t hash,
				      const void *ids, size_t stride, size_t n)
{
	for (size_t i = 0; i < PLAN_CACHE; i++) {
		struct kvmreg_plan *p = cache[i];

		if (cache_hash[i] != hash)
			continue;
		if (p && p->hash == hash && p->n == n && p->kind == kind &&
		    p->driver == d && (!ids || same_ids(p->key, ids, stride, n))) {
			atomic_fetch_add(&p->refs, 1);
			return p;
		}
	}
	return NULL;
}

struct kvmreg_plan *kvmreg_plan_get(struct kvmreg_vcpu *vcpu,
				    enum kvmreg_plan_kind kind,
				    const void *ids, size_t stride, size_t n)
{
	struct kvmreg_plan *p, *known, *evicted;
	uint64_t hash;

	if (n < PLAN_MIN_CACHED)
		return plan_make(vcpu, kind, ids, stride, n);
	hash = ids_hash(ids, stride, n);
	pthread_mutex_lock(&cache_lock);
	p = cache_find(vcpu->driver, kind, hash, ids, stride, n);
	pthread_mutex_unlock(&cache_lock);
	if (p)
		return p;
	/* Made outside the lock: the driver's memos may issue ioctls. */
	p = plan_make(vcpu, kind, ids, stride, n);
	if (!p)
		return NULL;
	p->hash = hash;
	pthread_mutex_lock(&cache_lock);
	known = cache_find(vcpu->driver, kind, hash, ids, stride, n);
	evicted = NULL;
	if (!known) {
		evicted = cache[cache_next];
		cache[cache_next] = p;
		cache_hash[cache_next] = hash;
		cache_next = (cache_next + 1) % PLAN_CACHE;
		atomic_fetch_add(&p->refs, 1);	/* the cache's */
	}
	pthread_mutex_unlock(&cache_lock);
	kvmreg_plan_put(evicted);
	if (known) {
		kvmreg_plan_put(p);	/* another thread made it first */
		return known;
	}
	return p;
}

struct kvmreg_plan *kvmreg_plan_again(struct kvmreg_vcpu *vcpu,
				      struct kvmreg_plan **last,
				      enum kvmreg_plan_kind kind,
				      const void *ids, size_t stride, size_t n,
				      int *hit)
{
	struct kvmreg_plan *p = *last;

	*hit = p && p->n == n && p->kind == kind && same_ids(p->key, ids, stride, n);
	if (*hit) {
		atomic_fetch_add(&p->refs, 1);
		return p;
	}
	p = kvmreg_plan_get(vcpu, kind, ids, stride, n);
	if (p && n >= PLAN_MIN_CACHED) {
		atomic_fetch_add(&p->refs, 1);	/* the handle's */
		kvmreg_plan_put(*last);
		*last = p;
	}
	return p;
}

struct kvmreg_plan *kvmreg_plan_likely(struct kvmreg_vcpu *vcpu,
				       struct kvmreg_plan **last,
				       enum kvmreg_plan_kind kind,
				       const void *ids, size_t stride, size_t n,
				       const uint64_t *known_hash)
{
	struct kvmreg_plan *p = *last;
	uint64_t hash;
	int hit;

	if (n < PLAN_MIN_CACHED)
		return kvmreg_plan_get(vcpu, kind, ids, stride, n);
	hash = known_hash ? *known_hash : ids_hash(ids, stride, n);
	if (p && p->hash == hash && p->n == n && p->kind == kind &&
	    p->driver == vcpu->driver) {
		atomic_fetch_add(&p->refs, 1);
		return p;
	}
	pthread_mutex_lock(&cache_lock);
	p = cache_find(vcpu->driver, kind, hash, NULL, stride, n);
	pthread_mutex_unlock(&cache_lock);
	if (!p)
		return kvmreg_plan_again(vcpu, last, kind, ids, stride, n, &hit);
	atomic_fetch_add(&p->refs, 1);	/* the handle's */
	kvmreg_plan_put(*last);
	*last = p;
	return p;
}

void kvmreg_plan_put(struct kvmreg_plan *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		plan_free(p);
}

/* ------------------------------------------------------------------ */
/* Running a plan                                                       */

/* --- batch ONE_REG hook (one_reg_batch.c, docs/batch-ioctl.md) --- */

/*
 * At the k-th batch of a run over [first, end): if it starts a run of two
 * or more plain ONE_REG batches and the handle batches, do the run in one
 * batch call and return how many batches it covered (failures added to
 * *failed); else 0.
 */
static size_t one_reg_batch_run(struct kvmreg_vcpu *vcpu,
				const struct kvmreg_plan *p, size_t k,
				size_t first, size_t end,
				enum kvmreg_batch_mode mode, int reverse,
				uint8_t *const *vals, int *errs, size_t *failed)
{
#define BATCH(j) (reverse ? end - 1 - ((j) - first) : (j))
	size_t count = 0, lo, hi, pos;

	/* A rollback read goes last batch first; a write keeps its order. */
	if (!kvmreg_one_reg_batch_on(vcpu) ||
	    (reverse && mode != KVMREG_BATCH_GET))
		return 0;
	while (k + count < end && p->batch[BATCH(k + count)].group == 0)
		count++;
	if (count < 2)
		return 0;
	lo = reverse ? BATCH(k + count - 1) : BATCH(k);
	hi = reverse ? BATCH(k) : BATCH(k + count - 1);
#undef BATCH
	pos = p->batch[lo].first;
	*failed += kvmreg_one_reg_batch_run(vcpu, mode != KVMREG_BATCH_GET,
					    p->batch[hi + 1].first - pos,
					    p->ids + pos, vals + pos, errs + pos);
	return count;
}

size_t kvmreg_plan_one_reg_segments(const struct kvmreg_vcpu *vcpu,
				    const struct kvmreg_plan *p,
				    size_t first_batch, size_t seg)
{
	size_t last = seg, b = first_batch;

	if (!kvmreg_one_reg_batch_on(vcpu))
		return seg;
	for (size_t s = seg; s < p->segments; s++) {
		for (; b < p->segment_end[s]; b++)
			if (p->batch[b].group != 0)
				return last;
		last = s;
	}
	return last;
}

size_t kvmreg_plan_run(struct kvmreg_vcpu *vcpu,
		       const struct kvmreg_plan *p, size_t first, size_t end,
		       enum kvmreg_batch_mode mode, int reverse,
		       uint8_t *const *vals, int *errs)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;
	size_t failed = 0;

	for (size_t k = first; k < end; k++) {
		const struct kvmreg_plan_batch *bp =
			&p->batch[reverse ? end - 1 - (k - first) : k];
		size_t pos = bp->first, count = bp[1].first - pos;
		int r;

		if (bp->group == 0) {
			/* batch ONE_REG hook (one_reg_batch.c) */
			size_t run = one_reg_batch_run(vcpu, p, k, first, end,
						       mode, reverse, vals,
						       errs, &failed);

			if (run) {
				k += run - 1;
				continue;
			}
			errs[pos] = mode == KVMREG_BATCH_GET ?
				kvmreg_one_reg_get(vcpu, p->ids[pos], vals[pos]) :
				kvmreg_one_reg_set(vcpu, p->ids[pos], vals[pos]);
			failed += errs[pos] != 0;
			continue;
		}
		if (g->batch) {
			r = g->batch(vcpu, bp->group, mode, count, p->ids + pos,
				     vals + pos, errs + pos, bp->memo);
			if (r >= 0) {
				failed += (size_t)r;
				continue;
			}
		} else {
			r = mode == KVMREG_BATCH_GET ?
				g->get(vcpu, bp->group, count, p->ids + pos,
				       vals + pos, errs + pos) :
				g->set(vcpu, bp->group, count, p->ids + pos,
				       (const uint8_t *const *)(vals + pos),
				       errs + pos);
		}
		for (size_t i = pos; i < pos + count; i++) {
			if (r)
				errs[i] = r;
			failed += errs[i] != 0;
		}
	}
	return failed;
}

size_t kvmreg_plan_read_into(struct kvmreg_vcpu *vcpu,
			     const struct kvmreg_plan *p, uint8_t *base,
			     int reverse, uint8_t **vals, int *errs)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;
	size_t failed = 0, k = 0;

	/* k counts batches in the order run; b is the batch */
#define BATCH_AT(k) (reverse ? p->batches - 1 - (k) : (k))
	while (k < p->batches) {
		size_t b = BATCH_AT(k), end = k, lo, hi;
		const struct kvmreg_plan_batch *bp = &p->batch[b];

		if (bp->image != KVMREG_PLAN_NO_IMAGE &&
		    !g->image_io(vcpu, bp->group, KVMREG_BATCH_GET,
				 bp[1].first - bp->first, p->ids + bp->first,
				 base + bp->image, bp->memo)) {
			k++;
			continue;
		}
		/* A run of batches read the usual way (a batch ONE_REG call
		 * may take several); an image the kernel did not fill goes
		 * the usual way too. */
		do
			end++;
		while (end < p->batches &&
		       p->batch[BATCH_AT(end)].image == KVMREG_PLAN_NO_IMAGE);
		lo = reverse ? BATCH_AT(end - 1) : k;
		hi = reverse ? b + 1 : end;
		for (size_t pos = p->batch[lo].first; pos < p->batch[hi].first; pos++)
			vals[pos] = base + p->offset[pos];
		failed += kvmreg_plan_run(vcpu, p, lo, hi, KVMREG_BATCH_GET,
					  reverse, vals, errs);
		k = end;
	}
#undef BATCH_AT
	return failed;
}

struct kvmreg_plan *kvmreg_plan_of_layout(struct kvmreg_vcpu *vcpu,
					  const struct kvmreg_state_layout *layout)
{
	struct kvmreg_plan *p = NULL;

	if (layout->count < PLAN_MIN_CACHED)
		return NULL;
	pthread_mutex_lock(&cache_lock);
	p = cache_find(vcpu->driver, KVMREG_PLAN_READ, layout->ids_hash,
		       &layout->entries->id, sizeof(*layout->entries),
		       layout->count);
	pthread_mutex_unlock(&cache_lock);
	if (p && p->layout != layout) {
		kvmreg_plan_put(p);
		p = NULL;
	}
	return p;
}

int kvmreg_plan_call_arrays(const struct kvmreg_plan *p, uint8_t ***vals,
			    int **errs)
{
	void *mem = malloc((p->n + 1) * (sizeof(**vals) + sizeof(**errs)));

	if (!mem)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	*vals = mem;
	*errs = (int *)(*vals + p->n + 1);
	return 0;
}
