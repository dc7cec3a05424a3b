package service

import (
	"context"
	"fmt"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
)

// ReadOutages are the ActiveCampaign connections whose segments cannot be
// read now because ActiveCampaign does not answer (or fails on its end),
// by connection id, as the last syncs of their watching automations tell
// (autocred.Automation.SyncOutage). Its key works, so its status alone
// would say OK while every read fails (issue 15, round 5, #5).
func (s *Service) ReadOutages(ctx context.Context) (map[int64]*autocred.ReadOutage, error) {
	autos, err := s.store.Automations(ctx, store.AutomationFilter{})
	if err != nil {
		return nil, fmt.Errorf("listing automations for failing reads: %w", err)
	}
	out := map[int64]*autocred.ReadOutage{}
	for _, a := range autos {
		if !a.Status.Watching() || !a.SyncOutage() {
			continue
		}
		o := out[a.Trigger.ConnectionID]
		if o == nil {
			o = &autocred.ReadOutage{}
			out[a.Trigger.ConnectionID] = o
		}
		o.Add(a)
	}
	return out, nil
}
