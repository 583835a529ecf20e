# hc: the two commands a newcomer needs are `make demo` and `make test`; each installs what is
# missing (scripts/install-deps.sh), configures and builds first.
BUILD      ?= build
SHARED     ?= $(abspath ../shared)
BUILD_TYPE ?= Release
GENERATOR  := $(if $(shell command -v ninja 2>/dev/null),-G Ninja,)
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

# libgomp spin-waits by default, which on a small or shared CPU fights OpenBLAS's own threads
# (ViT-B/32 forward 14x slower at batch 1, see docs/performance.md). It is read at process start,
# so it is set here for everything make runs; export it yourself when running the binaries.
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: all deps configure build test demo bench asan-test hierarcaps hyperlex breeds clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(GENERATOR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DHC_SHARED_DIR=$(SHARED) $(CMAKE_ARGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The torch-free core (safetensors, CSV, config, tokenizer, preprocessing) under AddressSanitizer
# and UBSan: malformed inputs must give clean errors, never memory errors.
asan-test: deps
	cmake -S . -B $(BUILD)-asan $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug -DHC_WITH_TORCH=OFF \
	  -DHC_SANITIZE=address,undefined -DHC_SHARED_DIR=$(SHARED)
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target hc-cli hc-retrieve
	bash scripts/demo.sh $(BUILD) $(SHARED)

# HierarCaps hierarchical retrieval (the paper's Table 1 HierarCaps columns):
# make hierarcaps MODEL=<folder|weights|hub id>; one result per model under runs/hierarcaps/.
# See docs/hc-retrieve.md.
.PHONY: hierarcaps
hierarcaps: MODEL ?= openai/clip-vit-base-patch32
hierarcaps: HIERARCAPS ?= $(if $(wildcard $(SHARED)/data/hierarcaps/hierarcaps_test.csv),$(SHARED)/data/hierarcaps,data/downloads/hierarcaps)
hierarcaps: configure
	cmake --build $(BUILD) -j $(JOBS) --target hc-retrieve
	$(BUILD)/bin/hc-retrieve --config configs/eval/hierarcaps.yaml --model $(MODEL) \
	  --csv $(HIERARCAPS)/hierarcaps_test.csv --images $(HIERARCAPS)/test_imgs \
	  --output runs/hierarcaps/$(subst /,--,$(patsubst /%,%,$(patsubst %/,%,$(MODEL))))/result.json

bench: build
	bash scripts/bench.sh $(BUILD) $(SHARED)

# HyperLex (the paper's Table 1 HyperLex columns): make hyperlex MODEL=<folder|weights|hub id>.
# One result per model under runs/hyperlex/; see docs/hc-eval-hyperlex.md.
.PHONY: hyperlex
hyperlex: MODEL ?= openai/clip-vit-base-patch32
hyperlex: configure
	cmake --build $(BUILD) -j $(JOBS) --target hc-eval-hyperlex
	mkdir -p runs/hyperlex
	$(BUILD)/bin/hc-eval-hyperlex --config configs/eval/hyperlex.yaml --model $(MODEL) \
	  --data $(SHARED)/data/hyperlex/hyperlex-all.txt \
	  --output runs/hyperlex/$(subst /,--,$(patsubst /%,%,$(patsubst %/,%,$(MODEL)))).json

# BREEDS (the paper's Table 1 BREEDS columns): make breeds MODEL=<model> IMAGENET=<val folder>,
# one result per subset under runs/breeds/<model>/. IMAGENET is an ImageNet-style validation
# folder (<wnid>/*.JPEG); add GROUND_TRUTH=val.txt for the flat ILSVRC2012 val folder, or
# BREEDS_CONFIG=configs/eval/breeds-single-prompt.yaml for Table 7. See docs/hc-eval-breeds.md.
.PHONY: breeds
breeds: MODEL ?= openai/clip-vit-base-patch32
breeds: SUBSETS ?= living17 nonliving26 entity13 entity30
breeds: configure
	@test -n "$(IMAGENET)" || { echo "make breeds needs IMAGENET=<ImageNet validation folder> (ImageNet is not distributed with hc)" >&2; exit 2; }
	cmake --build $(BUILD) -j $(JOBS) --target hc-eval-breeds
	mkdir -p runs/breeds/$(subst /,--,$(patsubst /%,%,$(patsubst %/,%,$(MODEL))))
	for subset in $(SUBSETS); do \
	  $(BUILD)/bin/hc-eval-breeds --config configs/eval/breeds.yaml \
	    $(if $(BREEDS_CONFIG),--config $(BREEDS_CONFIG)) --model $(MODEL) \
	    --subsets $(SHARED)/data/breeds/subsets.json --subset $$subset --imagenet $(IMAGENET) \
	    $(if $(GROUND_TRUTH),--ground-truth $(GROUND_TRUTH)) \
	    --output runs/breeds/$(subst /,--,$(patsubst /%,%,$(patsubst %/,%,$(MODEL))))/$$subset.json \
	    || exit $$?; \
	done

# RE fine-tuning (docs/hc-finetune.md): make finetune MODEL=<folder|weights|hub id> DATA=<train
# CSV>; the official settings (configs/finetune/official.yaml), CONFIG=... layers an ablation.
# One run per model under runs/finetune/<model>/: result.json, model/, loss.jsonl, loss.svg.
.PHONY: finetune finetune-demo table3
finetune: MODEL ?= openai/clip-vit-base-patch32
finetune: DATA ?= data/downloads/hierarcaps/hierarcaps_train.csv.gz
finetune: RUN ?= runs/finetune/$(subst /,--,$(patsubst /%,%,$(patsubst %/,%,$(MODEL))))
finetune: configure
	cmake --build $(BUILD) -j $(JOBS) --target hc-finetune
	$(BUILD)/bin/hc-finetune --config configs/finetune/official.yaml \
	  $(if $(CONFIG),--config $(CONFIG),) --model $(MODEL) --data $(DATA) \
	  --out $(RUN)/model --checkpoint-dir $(RUN)/checkpoint --output $(RUN)/result.json \
	  $(if $(wildcard $(RUN)/checkpoint/training_state.json),--resume $(RUN)/checkpoint,)

# Learning on the CPU, offline: a random ViT-B/32-shaped model fine-tuned for STEPS steps on the
# HierarCaps expanded set minus the test images, d_corr before and after beside the baselines.
finetune-demo: STEPS ?= 60
finetune-demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target hc-cli hc-retrieve hc-finetune
	bash scripts/finetune-demo.sh $(BUILD) $(SHARED) $(STEPS)

# The paper's ablation grid (supplementary Table 3, EC margins of Table 5): one fine-tuning and
# one HierarCaps evaluation per configs/finetune/ ablation, skip-existing, merged into
# runs/table3/table3.md with the paper's values beside. MAX_STEPS bounds each run (0: full).
# IMAGES=DIR (the training rows' images) adds the CLIP-objective run; without it it is skipped.
table3: MODEL ?= openai/clip-vit-base-patch32
table3: DATA ?= data/downloads/hierarcaps/hierarcaps_train.csv.gz
table3: HIERARCAPS ?= $(if $(wildcard $(SHARED)/data/hierarcaps/hierarcaps_test.csv),$(SHARED)/data/hierarcaps,data/downloads/hierarcaps)
table3: MAX_STEPS ?= 0
table3: IMAGES ?=
table3: configure
	cmake --build $(BUILD) -j $(JOBS) --target hc-retrieve hc-finetune
	python3 scripts/table3.py --build $(BUILD) --model $(MODEL) --data $(DATA) \
	  --test-csv $(HIERARCAPS)/hierarcaps_test.csv --images $(HIERARCAPS)/test_imgs \
	  --exclude $(HIERARCAPS)/hierarcaps_test.csv --max-steps $(MAX_STEPS) \
	  $(if $(IMAGES),--train-images $(IMAGES),)

# HGCLIP (docs/hgclip-train.md): make hgclip DATASET=<a configs/hgclip/ name> MODEL=<folder|
# weights|hub id> [METHOD=coop|kgcoop|cocoop|maple|vpt|vp|promptsrc|zeroshot] [CONFIG=extra.yaml]; data paths come from the
# dataset's config (override with SET="--set data.train=..."). One run per dataset, method and
# model under runs/hgclip/: result.json, model/ (the trained prompts), loss.jsonl, loss.svg;
# resumes by itself when the run's checkpoint exists.
.PHONY: hgclip hgclip-demo
hgclip: DATASET ?= cifar-100
hgclip: MODEL ?= openai/clip-vit-base-patch16
hgclip: METHOD ?= hgclip
hgclip: RUN ?= runs/hgclip/$(DATASET)-$(METHOD)-$(subst /,--,$(patsubst /%,%,$(patsubst %/,%,$(MODEL))))
hgclip: configure
	cmake --build $(BUILD) -j $(JOBS) --target hgclip-train
	$(BUILD)/bin/hgclip-train --config configs/hgclip/$(DATASET).yaml \
	  $(if $(CONFIG),--config $(CONFIG),) --model $(MODEL) --method $(METHOD) $(SET) \
	  --out $(RUN)/model --checkpoint-dir $(RUN)/checkpoint --output $(RUN)/result.json \
	  $(if $(wildcard $(RUN)/checkpoint/training_state.json),--resume $(RUN)/checkpoint,)

# HGCLIP learning on the CPU, offline: a generated shape/colour set (coarse: shape, fine: shape
# in a colour), a random ViT-B/32-shaped CLIP from hc init-model, EPOCHS epochs; per-level test
# accuracy of zero-shot CLIP before and of HGCLIP after. MODEL=<a pretrained CLIP> replaces the
# random one.
hgclip-demo: EPOCHS ?= 4
hgclip-demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target hc-cli hgclip-train
	MODEL="$(MODEL)" bash scripts/hgclip-demo.sh $(BUILD) $(SHARED) $(EPOCHS)

clean:
	rm -rf $(BUILD) $(BUILD)-asan
