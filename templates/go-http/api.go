package main

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// item is the example resource of the versioned API under /api/v1.
type item struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
}

// itemStore keeps items in memory; replace it with a real database.
type itemStore struct {
	mu     sync.Mutex
	items  map[int]item
	nextID int
}

func newItemStore() *itemStore { return &itemStore{items: map[int]item{}, nextID: 1} }

func (s *server) listItems(w http.ResponseWriter, _ *http.Request) {
	s.items.mu.Lock()
	list := make([]item, 0, len(s.items.items))
	for _, it := range s.items.items {
		list = append(list, it)
	}
	s.items.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	writeJSON(w, http.StatusOK, map[string][]item{"items": list})
}

func (s *server) getItem(w http.ResponseWriter, r *http.Request) {
	raw := strings.TrimPrefix(r.URL.Path, "/api/v1/items/")
	id, err := strconv.Atoi(raw)
	if err != nil || strings.Contains(raw, "/") {
		writeError(w, http.StatusNotFound, "not_found", "no item at "+r.URL.Path, nil)
		return
	}
	s.items.mu.Lock()
	it, ok := s.items.items[id]
	s.items.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "item "+raw+" does not exist", nil)
		return
	}
	writeJSON(w, http.StatusOK, it)
}

type fieldError struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

func (s *server) createItem(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     string `json:"name"`
		Quantity int    `json:"quantity"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the body is not valid JSON for an item: "+err.Error(), nil)
		return
	}
	var problems []fieldError
	if n := len(in.Name); n < 1 || n > 100 {
		problems = append(problems, fieldError{"body.name", "must be 1 to 100 characters"})
	}
	if in.Quantity < 0 {
		problems = append(problems, fieldError{"body.quantity", "must not be negative"})
	}
	if problems != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid_request", "the request is not valid", problems)
		return
	}
	s.items.mu.Lock()
	created := item{ID: s.items.nextID, Name: in.Name, Quantity: in.Quantity}
	s.items.items[created.ID] = created
	s.items.nextID++
	s.items.mu.Unlock()
	writeJSON(w, http.StatusCreated, created)
}
